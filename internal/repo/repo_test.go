package repo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoot_FindsGoMod(t *testing.T) {
	root, err := Root()
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err)

	data, err := SharedData("nab", "README.md")
	require.NoError(t, err)
	require.Equal(t, filepath.Join(filepath.Dir(root), "shared", "data", "nab", "README.md"), data)
}

func TestRoot_FailsOutsideTheModule(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Root()
	require.ErrorIs(t, err, ErrNoRoot)
}
