package scheduler_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler"
	"github.com/constellation-sched/constellation/scheduler/schedtest"
)

// newAlloc returns a running allocation of job on node asking cpu and mem.
func newAlloc(id, nodeID string, job *api.Job, cpu, memoryMB int) *api.Allocation {
	return &api.Allocation{
		ID: id, Name: job.ID + ".web[0]", NodeID: nodeID, JobID: job.ID, TaskGroup: "web", Job: job,
		Resources:     map[string]*api.AllocatedResources{"server": {CPU: cpu, MemoryMB: memoryMB}},
		DesiredStatus: api.AllocDesiredRun, ClientStatus: api.AllocClientRunning,
	}
}

func TestEvaluatePlan_NodeChecks(t *testing.T) {
	job := schedtest.ServiceJob("web", 1, 100, 64)
	tests := []struct {
		name     string
		setup    func(h *schedtest.Harness)
		place    *api.Allocation
		stop     *api.Allocation
		accepted bool
	}{
		{"fits", nil, newAlloc("new", "n1", job, 1000, 1024), nil, true},
		{"missing node", nil, newAlloc("new", "nope", job, 100, 64), nil, false},
		{"down node", func(h *schedtest.Harness) { setNode(h, "n1", func(n *api.Node) { n.Status = api.NodeStatusDown }) },
			newAlloc("new", "n1", job, 100, 64), nil, false},
		{"ineligible node", func(h *schedtest.Harness) { setNode(h, "n1", func(n *api.Node) { n.Eligibility = api.NodeIneligible }) },
			newAlloc("new", "n1", job, 100, 64), nil, false},
		{"draining node", func(h *schedtest.Harness) { setNode(h, "n1", func(n *api.Node) { n.Drain = true }) },
			newAlloc("new", "n1", job, 100, 64), nil, false},
		{"in-place update on ineligible node", func(h *schedtest.Harness) {
			setNode(h, "n1", func(n *api.Node) { n.Eligibility = api.NodeIneligible })
		}, newAlloc("old", "n1", job, 1000, 1024), nil, true},
		{"cpu overcommit", nil, newAlloc("new", "n1", job, 3001, 64), nil, false},
		{"memory overcommit", nil, newAlloc("new", "n1", job, 100, 7169), nil, false},
		{"reserved counts", func(h *schedtest.Harness) {
			setNode(h, "n1", func(n *api.Node) { n.Reserved = &api.NodeResources{CPU: 500} })
		}, newAlloc("new", "n1", job, 2600, 64), nil, false},
		{"fits once the plan stops the old", nil, newAlloc("new", "n1", job, 4000, 8192), newAlloc("old", "n1", job, 1000, 1024), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := schedtest.NewHarness()
			h.State.UpsertNode(schedtest.Node("n1", 4000, 8192))
			h.State.UpsertJob(job)
			h.State.UpsertAllocs(newAlloc("old", "n1", job, 1000, 1024))
			if tt.setup != nil {
				tt.setup(h)
			}
			plan := &api.Plan{EvalID: "e"}
			plan.AppendAlloc(tt.place)
			if tt.stop != nil {
				plan.AppendUpdate(tt.stop, api.AllocDesiredStop, "stop", "")
			}

			result, err := scheduler.EvaluatePlan(h.State, plan)
			require.NoError(t, err)
			if tt.accepted {
				assert.Equal(t, plan.NodeAllocation, result.NodeAllocation)
				assert.Zero(t, result.RefreshIndex)
				assert.Empty(t, result.RejectedNodes)
			} else {
				assert.Empty(t, result.NodeAllocation)
				assert.Equal(t, []string{tt.place.NodeID}, result.RejectedNodes)
				assert.Equal(t, h.State.LatestIndex(), result.RefreshIndex)
			}
			if tt.stop != nil {
				assert.Equal(t, plan.NodeUpdate, result.NodeUpdate, "stops are always accepted")
			} else {
				assert.Empty(t, result.NodeUpdate)
			}
		})
	}
}

func TestEvaluatePlan_StopsAcceptedWhenPlacementsRefused(t *testing.T) {
	h := schedtest.NewHarness()
	h.State.UpsertNode(schedtest.Node("n1", 1000, 1024))
	job := schedtest.ServiceJob("web", 1, 100, 64)
	old := newAlloc("old", "n1", job, 500, 512)
	h.State.UpsertAllocs(old)
	setNode(h, "n1", func(n *api.Node) { n.Status = api.NodeStatusDown })

	plan := &api.Plan{}
	plan.AppendUpdate(old, api.AllocDesiredStop, scheduler.DescNodeDown, api.AllocClientLost)
	plan.AppendAlloc(newAlloc("new", "n1", job, 100, 64))
	result, err := scheduler.EvaluatePlan(h.State, plan)
	require.NoError(t, err)
	assert.Len(t, result.NodeUpdate["n1"], 1)
	assert.Empty(t, result.NodeAllocation)
	assert.Equal(t, []string{"n1"}, result.RejectedNodes)
}

// TestEvaluatePlan_ConcurrentPlansOnOneSnapshot builds two plans on the same
// snapshot for a node with room for one allocation: the first is accepted,
// the second refused, and its scheduler retries on the newer state.
func TestEvaluatePlan_ConcurrentPlansOnOneSnapshot(t *testing.T) {
	h := cluster(t, 1, 1000, 1024)
	a := schedtest.ServiceJob("a", 1, 600, 256)
	b := schedtest.ServiceJob("b", 1, 600, 256)
	h.State.UpsertJob(a)
	h.State.UpsertJob(b)
	evalA := h.NewEval(a, api.EvalTriggerJobRegister)
	evalB := h.NewEval(b, api.EvalTriggerJobRegister)
	snap := h.State.Snapshot()

	require.NoError(t, h.Scheduler(snap).Process(evalA))
	require.NoError(t, h.Scheduler(snap).Process(evalB))

	require.Len(t, h.Results, 2)
	first, second := h.Results[0], h.Results[1]
	assert.Len(t, first.NodeAllocation["node-00"], 1)
	assert.Empty(t, first.RejectedNodes)
	assert.Empty(t, second.NodeAllocation, "the second plan would overcommit the node")
	assert.Equal(t, []string{"node-00"}, second.RejectedNodes)
	assert.NotZero(t, second.RefreshIndex)

	// B planned again on the newer state, found no room and blocked.
	assert.Len(t, h.Running("a")["web"], 1)
	assert.Empty(t, h.Running("b"))
	last := h.LastEval()
	assert.Equal(t, evalB.ID, last.ID)
	assert.Equal(t, api.EvalStatusComplete, last.Status)
	require.NotNil(t, last.FailedTGAllocs["web"])
	assert.Equal(t, 1, last.FailedTGAllocs["web"].DimensionExhausted["cpu"])
	require.Len(t, h.CreatedEvals, 1)
	assert.Equal(t, evalB.ID, h.CreatedEvals[0].PreviousEval)
}

func TestGenericScheduler_RetriesRefusedPlans(t *testing.T) {
	t.Run("placed elsewhere", func(t *testing.T) {
		h := cluster(t, 3, 1000, 1024)
		job := schedtest.ServiceJob("web", 1, 600, 256)
		// A concurrent writer fills the chosen node just before the
		// first plan is checked.
		h.BeforeApply = func(plan *api.Plan) {
			if len(h.Plans) > 0 {
				return
			}
			for nodeID := range plan.NodeAllocation {
				h.State.UpsertAllocs(newAlloc("filler", nodeID, schedtest.ServiceJob("x", 1, 1, 1), 900, 64))
			}
		}
		register(t, h, job)

		require.Len(t, h.Results, 2)
		assert.NotEmpty(t, h.Results[0].RejectedNodes)
		running := h.Running("web")["web"]
		require.Len(t, running, 1)
		assert.NotEqual(t, h.Results[0].RejectedNodes[0], running[0].NodeID)
		assert.Equal(t, api.EvalStatusComplete, h.LastEval().Status)
	})
	t.Run("gives up after five attempts", func(t *testing.T) {
		h := cluster(t, 8, 1000, 1024)
		// Every node the plan picks turns ineligible just before the
		// check.
		h.BeforeApply = func(plan *api.Plan) {
			for nodeID := range plan.NodeAllocation {
				setNode(h, nodeID, func(n *api.Node) { n.Eligibility = api.NodeIneligible })
			}
		}
		register(t, h, schedtest.ServiceJob("web", 1, 600, 256))

		assert.Len(t, h.Plans, 5)
		assert.Empty(t, h.Running("web"))
		assert.Equal(t, api.EvalStatusFailed, h.LastEval().Status)
		assert.Contains(t, h.LastEval().StatusDescription, "plan refused 5 times")
	})
}

func TestGenericScheduler_Deterministic(t *testing.T) {
	h := cluster(t, 50, 4000, 8192)
	register(t, h, schedtest.ServiceJob("other", 20, 700, 1000))
	job := schedtest.ServiceJob("web", 30, 500, 256)
	h.State.UpsertJob(job)
	eval := h.NewEval(job, api.EvalTriggerJobRegister)
	h.NoApply = true
	snap := h.State.Snapshot()

	require.NoError(t, h.Scheduler(snap).Process(eval))
	require.NoError(t, h.Scheduler(snap).Process(eval))
	require.Len(t, h.Plans, 3)
	assert.Equal(t, h.Plans[1], h.Plans[2])
	assert.Len(t, placed(h.Plans[1]), 30)
}
