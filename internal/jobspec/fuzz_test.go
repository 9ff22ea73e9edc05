package jobspec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse checks that no input makes Parse panic, and that a job it
// accepts is complete enough for the servers to take.
func FuzzParse(f *testing.F) {
	f.Add("j.hcl", []byte(fullHCL))
	f.Add("j.hcl", []byte("job \"a\" {\n group \"g\" {\n task \"t\" {\n driver = \"exec\"\n }\n }\n}"))
	f.Add("j.json", []byte(`{"Job": {"ID": "a", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "exec"}]}]}}`))
	f.Add("j.hcl", []byte(`job "a" { constraint { attribute = "${x" } }`))
	f.Fuzz(func(t *testing.T, name string, src []byte) {
		job, err := Parse(name, src)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidJob)
			return
		}
		require.NotEmpty(t, job.ID)
		require.NotEmpty(t, job.TaskGroups)
		for _, tg := range job.TaskGroups {
			require.NotEmpty(t, tg.Tasks)
			for _, task := range tg.Tasks {
				require.NotEmpty(t, task.Driver)
			}
		}
	})
}
