package predict

import (
	"encoding/csv"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/internal/repo"
)

// sharedData returns the path of a file under ../shared/data relative to
// the repository root, skipping the test when the data is not there.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	p, err := repo.SharedData(rel)
	require.NoError(t, err)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data %s not present: %v", rel, err)
	}
	return p
}

// loadNAB reads the value column of a NAB csv file.
func loadNAB(t testing.TB, rel string) []float64 {
	t.Helper()
	f, err := os.Open(sharedData(t, rel))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	ys := make([]float64, 0, len(rows)-1)
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[1], 64)
		require.NoError(t, err)
		ys = append(ys, v)
	}
	return ys
}
