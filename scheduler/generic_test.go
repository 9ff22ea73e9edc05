package scheduler_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler"
	"github.com/constellation-sched/constellation/scheduler/schedtest"
)

// cluster returns a harness with n equal nodes "node-00", "node-01", ...
func cluster(t testing.TB, n, cpu, memoryMB int) *schedtest.Harness {
	t.Helper()
	h := schedtest.NewHarness()
	for i := range n {
		h.State.UpsertNode(schedtest.Node(fmt.Sprintf("node-%02d", i), cpu, memoryMB))
	}
	return h
}

// register stores the job and processes a job-register evaluation of it.
func register(t testing.TB, h *schedtest.Harness, job *api.Job) *api.Evaluation {
	t.Helper()
	h.State.UpsertJob(job)
	eval := h.NewEval(job, api.EvalTriggerJobRegister)
	require.NoError(t, h.Process(eval))
	return eval
}

// reprocess processes a fresh evaluation of the stored job.
func reprocess(t testing.TB, h *schedtest.Harness, jobID, trigger string) *api.Plan {
	t.Helper()
	job, _ := h.State.JobByID(jobID)
	if job == nil {
		job = &api.Job{ID: jobID, Type: api.JobTypeService}
	}
	before := len(h.Plans)
	require.NoError(t, h.Process(h.NewEval(job, trigger)))
	if len(h.Plans) == before {
		return &api.Plan{}
	}
	return h.Plans[len(h.Plans)-1]
}

// placed flattens a plan's placements.
func placed(plan *api.Plan) []*api.Allocation {
	var out []*api.Allocation
	for _, nodeID := range slices.Sorted(maps.Keys(plan.NodeAllocation)) {
		out = append(out, plan.NodeAllocation[nodeID]...)
	}
	return out
}

// stopped flattens a plan's stops.
func stopped(plan *api.Plan) []*api.Allocation {
	var out []*api.Allocation
	for _, nodeID := range slices.Sorted(maps.Keys(plan.NodeUpdate)) {
		out = append(out, plan.NodeUpdate[nodeID]...)
	}
	return out
}

// names returns the sorted names of allocs.
func names(allocs []*api.Allocation) []string {
	out := make([]string, 0, len(allocs))
	for _, a := range allocs {
		out = append(out, a.Name)
	}
	slices.Sort(out)
	return out
}

// perNode counts running allocations of a job per node.
func perNode(h *schedtest.Harness, jobID string) map[string]int {
	out := map[string]int{}
	for _, allocs := range h.Running(jobID) {
		for _, a := range allocs {
			out[a.NodeID]++
		}
	}
	return out
}

func TestGenericScheduler_PlacesServiceCount(t *testing.T) {
	h := cluster(t, 10, 4000, 8192)
	job := schedtest.ServiceJob("web", 5, 500, 256)
	eval := register(t, h, job)

	require.Len(t, h.Plans, 1)
	allocs := placed(h.Plans[0])
	assert.Equal(t, []string{"web.web[0]", "web.web[1]", "web.web[2]", "web.web[3]", "web.web[4]"}, names(allocs))
	for _, a := range allocs {
		assert.Equal(t, eval.ID, a.EvalID)
		assert.Equal(t, api.AllocDesiredRun, a.DesiredStatus)
		assert.Equal(t, 500, a.Resources["server"].CPU)
		assert.Equal(t, 256, a.Resources["server"].MemoryMB)
		assert.Same(t, job, a.Job)
	}
	last := h.LastEval()
	assert.Equal(t, api.EvalStatusComplete, last.Status)
	assert.Empty(t, last.FailedTGAllocs)
	assert.Empty(t, h.CreatedEvals)
	assert.Len(t, h.Running("web")["web"], 5)

	// Processing again changes nothing.
	plan := reprocess(t, h, "web", api.EvalTriggerJobRegister)
	assert.True(t, plan.IsNoOp())
}

func TestGenericScheduler_SpreadsAcrossEqualNodes(t *testing.T) {
	// Up to 16 nodes every node is scored, and the spread is exact. On
	// larger clusters a placement scores a window of at most 32 fitting
	// nodes, so a node can take one allocation more than its share, but
	// no more: the window cannot be all nodes already holding more.
	tests := []struct{ nodes, count, slack int }{{4, 4, 0}, {4, 8, 0}, {16, 32, 0}, {40, 40, 1}, {40, 80, 1}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("nodes=%d/count=%d", tt.nodes, tt.count), func(t *testing.T) {
			h := cluster(t, tt.nodes, 4000, 8192)
			register(t, h, schedtest.ServiceJob("web", tt.count, 100, 64))

			counts := perNode(h, "web")
			assert.Len(t, h.Running("web")["web"], tt.count)
			if tt.slack == 0 {
				assert.Len(t, counts, tt.nodes)
			}
			for node, n := range counts {
				assert.LessOrEqual(t, n, tt.count/tt.nodes+tt.slack, "node %s", node)
			}
		})
	}
}

func TestGenericScheduler_BestFitPacks(t *testing.T) {
	h := cluster(t, 3, 4000, 8192)
	// node-01 already runs another job's allocation at half its size.
	register(t, h, schedtest.ServiceJob("other", 1, 2000, 4096))
	busy := perNode(h, "other")
	require.Len(t, busy, 1)

	register(t, h, schedtest.ServiceJob("web", 1, 1000, 1024))
	assert.Equal(t, busy, perNode(h, "web"), "the new allocation joins the fuller node")
}

func TestGenericScheduler_DistinctHosts(t *testing.T) {
	t.Run("group", func(t *testing.T) {
		h := cluster(t, 3, 4000, 8192)
		job := schedtest.ServiceJob("web", 4, 100, 64)
		job.TaskGroups[0].Constraints = []*api.Constraint{{Operand: api.ConstraintDistinctHosts}}
		register(t, h, job)

		counts := perNode(h, "web")
		assert.Len(t, counts, 3)
		for _, n := range counts {
			assert.Equal(t, 1, n)
		}
		metric := h.LastEval().FailedTGAllocs["web"]
		require.NotNil(t, metric)
		assert.Equal(t, 3, metric.ConstraintFiltered[api.ConstraintDistinctHosts])
	})
	t.Run("job", func(t *testing.T) {
		h := cluster(t, 3, 4000, 8192)
		job := schedtest.ServiceJob("web", 2, 100, 64)
		apiGroup := *job.TaskGroups[0]
		apiGroup.Name = "api"
		job.TaskGroups = append(job.TaskGroups, &apiGroup)
		job.Constraints = []*api.Constraint{{Operand: api.ConstraintDistinctHosts, RTarget: "true"}}
		register(t, h, job)

		counts := perNode(h, "web")
		assert.Len(t, counts, 3, "no two allocations of the job share a node, whatever their group")
		for _, n := range counts {
			assert.Equal(t, 1, n)
		}
		assert.Len(t, h.Running("web")["web"], 2)
		assert.Len(t, h.Running("web")["api"], 1)
	})
	t.Run("disabled", func(t *testing.T) {
		h := cluster(t, 1, 4000, 8192)
		job := schedtest.ServiceJob("web", 3, 100, 64)
		job.TaskGroups[0].Constraints = []*api.Constraint{{Operand: api.ConstraintDistinctHosts, RTarget: "false"}}
		register(t, h, job)
		assert.Len(t, h.Running("web")["web"], 3)
	})
}

func TestGenericScheduler_ReusesFreeIndexes(t *testing.T) {
	h := cluster(t, 2, 4000, 8192)
	register(t, h, schedtest.ServiceJob("web", 4, 100, 64))
	for _, a := range h.Running("web")["web"] {
		if a.Name == "web.web[1]" {
			gone := *a
			gone.DesiredStatus = api.AllocDesiredStop
			h.State.UpsertAllocs(&gone)
		}
	}

	plan := reprocess(t, h, "web", api.EvalTriggerJobRegister)
	assert.Equal(t, []string{"web.web[1]"}, names(placed(plan)))
	assert.Equal(t, []string{"web.web[0]", "web.web[1]", "web.web[2]", "web.web[3]"}, names(h.Running("web")["web"]))
}

func TestGenericScheduler_NotEnoughResourcesBlocks(t *testing.T) {
	h := cluster(t, 2, 1000, 8192)
	eval := register(t, h, schedtest.ServiceJob("web", 4, 600, 256))

	assert.Len(t, h.Running("web")["web"], 2)
	last := h.LastEval()
	assert.Equal(t, api.EvalStatusComplete, last.Status)
	metric := last.FailedTGAllocs["web"]
	require.NotNil(t, metric)
	assert.Equal(t, 2, metric.NodesEvaluated)
	assert.Equal(t, 2, metric.NodesExhausted)
	assert.Equal(t, 2, metric.DimensionExhausted["cpu"])
	assert.Equal(t, 1, metric.CoalescedFailures)
	assert.Equal(t, 2, last.QueuedAllocations["web"])

	require.Len(t, h.CreatedEvals, 1)
	blocked := h.CreatedEvals[0]
	assert.Equal(t, api.EvalStatusBlocked, blocked.Status)
	assert.Equal(t, api.EvalTriggerQueuedAllocs, blocked.TriggeredBy)
	assert.Equal(t, eval.ID, blocked.PreviousEval)
	assert.Equal(t, blocked.ID, last.BlockedEval)
}

func TestGenericScheduler_FilterMetrics(t *testing.T) {
	h := cluster(t, 1, 4000, 8192)
	down := schedtest.Node("down", 4000, 8192)
	down.Status = api.NodeStatusDown
	other := schedtest.Node("dc2", 4000, 8192)
	other.Datacenter = "dc2"
	noDriver := schedtest.Node("nodriver", 4000, 8192)
	noDriver.Drivers, noDriver.Attributes = nil, map[string]string{}
	for _, n := range []*api.Node{down, other, noDriver} {
		h.State.UpsertNode(n)
	}
	job := schedtest.ServiceJob("web", 1, 100, 64)
	job.Constraints = []*api.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "windows"}}
	register(t, h, job)

	metric := h.LastEval().FailedTGAllocs["web"]
	require.NotNil(t, metric)
	assert.Equal(t, 4, metric.NodesEvaluated)
	assert.Equal(t, 4, metric.NodesFiltered)
	assert.Equal(t, map[string]int{
		"node not ready":                1,
		"datacenter not in job":         1,
		"missing driver exec":           1,
		"${attr.kernel.name} = windows": 1,
	}, metric.ConstraintFiltered)
}

func TestGenericScheduler_InvalidJobFailsEval(t *testing.T) {
	tests := []struct {
		name string
		con  *api.Constraint
		want string
	}{
		{"unknown operand", &api.Constraint{LTarget: "${attr.a}", Operand: "~", RTarget: "b"}, `unknown operand "~"`},
		{"bad regexp", &api.Constraint{LTarget: "${attr.a}", Operand: "regexp", RTarget: "("}, "bad regular expression"},
		{"bad version", &api.Constraint{LTarget: "${attr.a}", Operand: "version", RTarget: "about 2"}, "bad version constraint"},
		{"unknown target", &api.Constraint{LTarget: "${host.a}", Operand: "=", RTarget: "b"}, "unknown target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := cluster(t, 1, 4000, 8192)
			job := schedtest.ServiceJob("web", 1, 100, 64)
			job.TaskGroups[0].Tasks[0].Constraints = []*api.Constraint{tt.con}
			register(t, h, job)

			assert.Empty(t, h.Plans)
			assert.Equal(t, api.EvalStatusFailed, h.LastEval().Status)
			assert.Contains(t, h.LastEval().StatusDescription, tt.want)
		})
	}
}

func TestGenericScheduler_Scale(t *testing.T) {
	h := cluster(t, 3, 4000, 8192)
	job := schedtest.ServiceJob("web", 3, 100, 64)
	register(t, h, job)

	t.Run("up", func(t *testing.T) {
		up := schedtest.ServiceJob("web", 5, 100, 64)
		h.State.UpsertJob(up)
		plan := reprocess(t, h, "web", api.EvalTriggerJobRegister)
		var fresh []*api.Allocation
		for _, a := range placed(plan) {
			if h.State.AllocByID(a.ID).CreateIndex == h.Results[len(h.Results)-1].AllocIndex {
				fresh = append(fresh, a)
			}
		}
		assert.Equal(t, []string{"web.web[3]", "web.web[4]"}, names(fresh))
		assert.Empty(t, plan.NodeUpdate)
		assert.Len(t, h.Running("web")["web"], 5)
	})
	t.Run("down", func(t *testing.T) {
		down := schedtest.ServiceJob("web", 2, 100, 64)
		h.State.UpsertJob(down)
		plan := reprocess(t, h, "web", api.EvalTriggerJobRegister)
		stops := stopped(plan)
		assert.Equal(t, []string{"web.web[2]", "web.web[3]", "web.web[4]"}, names(stops))
		for _, a := range stops {
			assert.Equal(t, scheduler.DescCountDecreased, a.DesiredDescription)
		}
		assert.Equal(t, []string{"web.web[0]", "web.web[1]"}, names(h.Running("web")["web"]))
	})
}

func TestGenericScheduler_JobStop(t *testing.T) {
	tests := []struct {
		name string
		stop func(h *schedtest.Harness)
	}{
		{"stopped", func(h *schedtest.Harness) {
			job := schedtest.ServiceJob("web", 3, 100, 64)
			job.Stop = true
			h.State.UpsertJob(job)
		}},
		{"deleted", func(h *schedtest.Harness) { h.State.DeleteJob("web") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := cluster(t, 3, 4000, 8192)
			register(t, h, schedtest.ServiceJob("web", 3, 100, 64))
			tt.stop(h)
			plan := reprocess(t, h, "web", api.EvalTriggerJobDeregister)

			assert.Len(t, stopped(plan), 3)
			assert.Empty(t, plan.NodeAllocation)
			for _, a := range stopped(plan) {
				assert.Equal(t, api.AllocDesiredStop, a.DesiredStatus)
				assert.Equal(t, scheduler.DescJobStopped, a.DesiredDescription)
			}
			assert.Empty(t, h.Running("web"))
			assert.Equal(t, api.EvalStatusComplete, h.LastEval().Status)
		})
	}
}

func TestGenericScheduler_Update(t *testing.T) {
	tests := []struct {
		name        string
		change      func(job *api.Job)
		destructive bool
	}{
		{"task config", func(job *api.Job) { job.TaskGroups[0].Tasks[0].Config["command"] = "/bin/v2" }, true},
		{"task resources", func(job *api.Job) { job.TaskGroups[0].Tasks[0].Resources.CPU = 200 }, true},
		{"group constraint", func(job *api.Job) {
			job.TaskGroups[0].Constraints = []*api.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux"}}
		}, true},
		{"job meta", func(job *api.Job) { job.Meta = map[string]string{"owner": "ops"} }, false},
		{"group meta", func(job *api.Job) { job.TaskGroups[0].Meta = map[string]string{"tier": "1"} }, false},
		{"task meta", func(job *api.Job) { job.TaskGroups[0].Tasks[0].Meta = map[string]string{"v": "2"} }, false},
		{"empty config map", func(job *api.Job) { job.TaskGroups[0].Tasks[0].Env = map[string]string{} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := cluster(t, 3, 4000, 8192)
			register(t, h, schedtest.ServiceJob("web", 3, 100, 64))
			before := h.Running("web")["web"]

			job := schedtest.ServiceJob("web", 3, 100, 64)
			tt.change(job)
			h.State.UpsertJob(job)
			plan := reprocess(t, h, "web", api.EvalTriggerJobRegister)

			after := h.Running("web")["web"]
			require.Len(t, after, 3)
			for _, a := range after {
				assert.Same(t, job, a.Job)
			}
			if tt.destructive {
				assert.Len(t, stopped(plan), 3)
				for _, a := range stopped(plan) {
					assert.Equal(t, scheduler.DescUpdated, a.DesiredDescription)
				}
				assert.Equal(t, names(before), names(placed(plan)))
				for _, a := range placed(plan) {
					assert.Nil(t, h.State.AllocByID(a.ID).Job.Meta)
					assert.NotContains(t, ids(before), a.ID)
				}
				return
			}
			assert.Empty(t, plan.NodeUpdate)
			assert.ElementsMatch(t, ids(before), ids(placed(plan)), "in-place updates keep the allocations")
		})
	}
}

// ids returns the IDs of allocs.
func ids(allocs []*api.Allocation) []string {
	out := make([]string, 0, len(allocs))
	for _, a := range allocs {
		out = append(out, a.ID)
	}
	return out
}

func TestGenericScheduler_CountAndMetaChangeIsInPlace(t *testing.T) {
	h := cluster(t, 3, 4000, 8192)
	register(t, h, schedtest.ServiceJob("web", 2, 100, 64))
	before := ids(h.Running("web")["web"])

	job := schedtest.ServiceJob("web", 3, 100, 64)
	job.Meta = map[string]string{"owner": "ops"}
	h.State.UpsertJob(job)
	plan := reprocess(t, h, "web", api.EvalTriggerJobRegister)

	assert.Empty(t, plan.NodeUpdate)
	assert.Len(t, placed(plan), 3)
	assert.Subset(t, ids(placed(plan)), before)
	for _, a := range h.Running("web")["web"] {
		assert.Same(t, job, a.Job)
	}
}
