package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func validJob() *Job {
	j := &Job{ID: "web", TaskGroups: []*TaskGroup{{
		Name: "g", Count: 2,
		Tasks: []*Task{{Name: "t", Driver: "wasm", Config: map[string]any{"module": "m.wasm"}}},
	}}}
	j.Canonicalize()
	return j
}

func TestJob_CanonicalizeDefaults(t *testing.T) {
	j := validJob()
	require.Equal(t, JobTypeService, j.Type)
	require.Equal(t, 50, j.Priority)
	require.Equal(t, DefaultCPU, j.TaskGroups[0].Tasks[0].Resources.CPU)
	require.NotNil(t, j.TaskGroups[0].RestartPolicy)
	require.NoError(t, j.Validate())
}

func TestJob_ValidateRefuses(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(j *Job)
		want   string
	}{
		{"missing id", func(j *Job) { j.ID = "" }, "job ID is missing"},
		{"path in id", func(j *Job) { j.ID = "../etc" }, "may use only letters"},
		{"slash in id", func(j *Job) { j.ID = "a/b" }, "may use only letters"},
		{"bad type", func(j *Job) { j.Type = "daemon" }, `job type "daemon" is not known`},
		{"no groups", func(j *Job) { j.TaskGroups = nil }, "no task groups"},
		{"negative count", func(j *Job) { j.TaskGroups[0].Count = -1 }, "count -1 is out of range"},
		{"huge count", func(j *Job) { j.TaskGroups[0].Count = MaxCount + 1 }, "out of range"},
		{"negative cpu", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.CPU = -5 }, "cpu -5 MHz is out of range"},
		{"overflowing memory", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 1 << 40 }, "memory"},
		{"unknown driver", func(j *Job) { j.TaskGroups[0].Tasks[0].Driver = "docker" }, `driver "docker" is not known`},
		{"duplicate task", func(j *Job) {
			tg := j.TaskGroups[0]
			tg.Tasks = append(tg.Tasks, tg.Tasks[0])
		}, `task name "t" is used twice`},
		{"duplicate group", func(j *Job) { j.TaskGroups = append(j.TaskGroups, j.TaskGroups[0]) }, "used twice"},
		{"bad regexp", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${attr.x}", RTarget: "(", Operand: ConstraintRegex}}
		}, "does not compile"},
		{"bad version", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${attr.x}", RTarget: "banana", Operand: ConstraintVersion}}
		}, "not a version comparison"},
		{"unknown operand", func(j *Job) {
			j.Constraints = []*Constraint{{LTarget: "${attr.x}", RTarget: "1", Operand: "~~"}}
		}, `operator "~~" is not known`},
		{"bad mps share", func(j *Job) {
			j.TaskGroups[0].Tasks[0].Resources.Devices = []*DeviceRequest{{Name: "gpu", Count: 1, Sharing: SharingMPS, MPSComputePercent: 150}}
		}, "mps_compute_percent 150"},
		{"bad restart mode", func(j *Job) { j.TaskGroups[0].RestartPolicy.Mode = "sometimes" }, "restart mode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := validJob()
			tc.mutate(j)
			err := j.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestConstraint_VersionAccepted(t *testing.T) {
	c := &Constraint{LTarget: "${attr.os.version}", RTarget: ">= 1.2, < 2.0", Operand: ConstraintVersion}
	require.NoError(t, c.Validate())
}
