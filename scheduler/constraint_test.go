package scheduler_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler"
	"github.com/constellation-sched/constellation/scheduler/schedtest"
)

// constraintCluster returns three nodes that differ in attributes, meta and
// datacenter.
func constraintCluster(t *testing.T) *schedtest.Harness {
	t.Helper()
	h := schedtest.NewHarness()
	specs := []struct {
		id, dc, version, cores, rack string
	}{
		{"a", "dc1", "1.1.0", "4", "r1"},
		{"b", "dc1", "1.5.2", "16", "r2"},
		{"c", "dc2", "2.3.0", "8", ""},
	}
	for _, s := range specs {
		n := schedtest.Node(s.id, 8000, 16384)
		n.Datacenter = s.dc
		n.Attributes["os.version"] = s.version
		n.Attributes["cpu.numcores"] = s.cores
		if s.rack != "" {
			n.Meta["rack"] = s.rack
		}
		h.State.UpsertNode(n)
	}
	return h
}

func TestGenericScheduler_ConstraintOperands(t *testing.T) {
	tests := []struct {
		name  string
		level string // job, group or task
		con   api.Constraint
		want  []string
	}{
		{"equal attr", "job", api.Constraint{LTarget: "${attr.os.version}", Operand: "=", RTarget: "1.5.2"}, []string{"b"}},
		{"not equal", "group", api.Constraint{LTarget: "${attr.os.version}", Operand: "!=", RTarget: "1.5.2"}, []string{"a", "c"}},
		{"not equal unset", "task", api.Constraint{LTarget: "${meta.rack}", Operand: "!=", RTarget: "r1"}, []string{"b", "c"}},
		{"regexp", "task", api.Constraint{LTarget: "${attr.os.version}", Operand: "regexp", RTarget: `^1\.`}, []string{"a", "b"}},
		{"version range", "group", api.Constraint{LTarget: "${attr.os.version}", Operand: "version", RTarget: ">= 1.2, < 2.0"}, []string{"b"}},
		{"version pessimistic", "job", api.Constraint{LTarget: "${attr.os.version}", Operand: "version", RTarget: "~> 1.1"}, []string{"a", "b"}},
		{"less numeric", "job", api.Constraint{LTarget: "${attr.cpu.numcores}", Operand: "<", RTarget: "8"}, []string{"a"}},
		{"less equal numeric", "job", api.Constraint{LTarget: "${attr.cpu.numcores}", Operand: "<=", RTarget: "8"}, []string{"a", "c"}},
		{"greater numeric", "group", api.Constraint{LTarget: "${attr.cpu.numcores}", Operand: ">", RTarget: "8"}, []string{"b"}},
		{"greater equal numeric", "task", api.Constraint{LTarget: "${attr.cpu.numcores}", Operand: ">=", RTarget: "8"}, []string{"b", "c"}},
		{"greater string", "task", api.Constraint{LTarget: "${meta.rack}", Operand: ">", RTarget: "r1"}, []string{"b"}},
		{"is_set", "job", api.Constraint{LTarget: "${meta.rack}", Operand: "is_set"}, []string{"a", "b"}},
		{"datacenter", "group", api.Constraint{LTarget: "${node.datacenter}", Operand: "=", RTarget: "dc2"}, []string{"c"}},
		{"name", "task", api.Constraint{LTarget: "${node.name}", Operand: "=", RTarget: "name-a"}, []string{"a"}},
		{"id", "job", api.Constraint{LTarget: "${node.id}", Operand: "!=", RTarget: "a"}, []string{"b", "c"}},
		{"meta", "group", api.Constraint{LTarget: "${meta.rack}", Operand: "=", RTarget: "r2"}, []string{"b"}},
		{"literal on the right", "job", api.Constraint{LTarget: "linux", Operand: "=", RTarget: "${attr.kernel.name}"}, []string{"a", "b", "c"}},
		{"no node", "job", api.Constraint{LTarget: "${attr.os.version}", Operand: "version", RTarget: ">= 3.0"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := constraintCluster(t)
			job := schedtest.ServiceJob("web", 6, 100, 64)
			job.Datacenters = nil
			con := tt.con
			switch tt.level {
			case "job":
				job.Constraints = []*api.Constraint{&con}
			case "group":
				job.TaskGroups[0].Constraints = []*api.Constraint{&con}
			case "task":
				job.TaskGroups[0].Tasks[0].Constraints = []*api.Constraint{&con}
			}
			register(t, h, job)

			got := slices.Sorted(maps.Keys(perNode(h, "web")))
			assert.Equal(t, tt.want, got)
			if tt.want == nil {
				metric := h.LastEval().FailedTGAllocs["web"]
				require.NotNil(t, metric)
				assert.Equal(t, 3, metric.ConstraintFiltered["${attr.os.version} version >= 3.0"])
				return
			}
			assert.Len(t, h.Running("web")["web"], 6)
		})
	}
}

func TestGenericScheduler_DatacentersAndDrivers(t *testing.T) {
	h := constraintCluster(t)
	wasm := schedtest.Node("w", 8000, 16384)
	wasm.Drivers = nil
	wasm.Attributes["driver.wasm"] = "1"
	h.State.UpsertNode(wasm)

	job := schedtest.ServiceJob("web", 4, 100, 64)
	job.Datacenters = []string{"dc1"}
	job.TaskGroups[0].Tasks[0].Driver = "wasm"
	register(t, h, job)
	assert.Equal(t, map[string]int{"w": 4}, perNode(h, "web"))

	job = schedtest.ServiceJob("exec", 4, 100, 64)
	job.Datacenters = []string{"dc2"}
	register(t, h, job)
	assert.Equal(t, map[string]int{"c": 4}, perNode(h, "exec"))
}

func TestValidateConstraint_Errors(t *testing.T) {
	tests := []struct {
		name string
		con  *api.Constraint
		ok   bool
	}{
		{"good", &api.Constraint{LTarget: "${attr.a}", Operand: "=", RTarget: "b"}, true},
		{"distinct hosts", &api.Constraint{Operand: "distinct_hosts"}, true},
		{"nil", nil, false},
		{"unknown operand", &api.Constraint{LTarget: "${attr.a}", Operand: "like", RTarget: "b"}, false},
		{"unclosed target", &api.Constraint{LTarget: "${attr.a", Operand: "=", RTarget: "b"}, false},
		{"empty attribute", &api.Constraint{LTarget: "${attr.}", Operand: "is_set"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := scheduler.ValidateConstraint(tt.con)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, scheduler.ErrInvalidConstraint)
		})
	}
}
