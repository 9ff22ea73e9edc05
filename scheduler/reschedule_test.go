package scheduler_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler"
	"github.com/constellation-sched/constellation/scheduler/schedtest"
)

// setClientStatus reports a client status for an allocation, as a client
// update through the FSM would.
func setClientStatus(h *schedtest.Harness, alloc *api.Allocation, status string, rescheduleCount int) {
	a := *alloc
	a.ClientStatus = status
	a.RescheduleCount = rescheduleCount
	h.State.UpsertAllocs(&a)
}

// setNode changes a node, as a node update through the FSM would.
func setNode(h *schedtest.Harness, id string, change func(n *api.Node)) {
	old, _ := h.State.NodeByID(id)
	n := *old
	change(&n)
	h.State.UpsertNode(&n)
}

func TestGenericScheduler_NodeDown(t *testing.T) {
	h := cluster(t, 4, 4000, 8192)
	register(t, h, schedtest.ServiceJob("web", 4, 100, 64))
	setNode(h, "node-02", func(n *api.Node) { n.Status = api.NodeStatusDown })
	var lostAlloc *api.Allocation
	for _, a := range h.Running("web")["web"] {
		if a.NodeID == "node-02" {
			lostAlloc = a
		}
	}
	require.NotNil(t, lostAlloc)

	plan := reprocess(t, h, "web", api.EvalTriggerNodeUpdate)

	require.Len(t, stopped(plan), 1)
	stop := plan.NodeUpdate["node-02"][0]
	assert.Equal(t, lostAlloc.ID, stop.ID)
	assert.Equal(t, api.AllocClientLost, stop.ClientStatus)
	assert.Equal(t, api.AllocDesiredStop, stop.DesiredStatus)
	assert.Equal(t, scheduler.DescNodeDown, stop.DesiredDescription)

	require.Len(t, placed(plan), 1)
	repl := placed(plan)[0]
	assert.NotEqual(t, "node-02", repl.NodeID)
	assert.Equal(t, lostAlloc.Name, repl.Name)
	assert.Equal(t, lostAlloc.ID, repl.PreviousAllocation)
	assert.Equal(t, 1, repl.RescheduleCount)
	assert.Len(t, h.Running("web")["web"], 4)
	assert.Zero(t, perNode(h, "web")["node-02"])
}

func TestGenericScheduler_NodeDrain(t *testing.T) {
	h := cluster(t, 3, 4000, 8192)
	register(t, h, schedtest.ServiceJob("web", 6, 100, 64))
	setNode(h, "node-00", func(n *api.Node) { n.Drain = true })

	plan := reprocess(t, h, "web", api.EvalTriggerNodeDrain)

	stops := plan.NodeUpdate["node-00"]
	require.Len(t, stops, 2)
	for _, s := range stops {
		assert.Equal(t, scheduler.DescNodeDraining, s.DesiredDescription)
		assert.Equal(t, api.AllocDesiredStop, s.DesiredStatus)
	}
	assert.Empty(t, plan.NodeAllocation["node-00"])
	assert.Len(t, placed(plan), 2)
	for _, a := range placed(plan) {
		assert.NotEmpty(t, a.PreviousAllocation)
	}
	assert.Equal(t, map[string]int{"node-01": 3, "node-02": 3}, perNode(h, "web"))
}

func TestGenericScheduler_Reschedule(t *testing.T) {
	tests := []struct {
		name      string
		job       *api.Job
		status    string
		count     int // reschedule count of the finished allocation
		replaced  bool
		wantCount int
		wantNote  string
	}{
		{"failed service", schedtest.ServiceJob("j", 1, 100, 64), api.AllocClientFailed, 0, true, 1, ""},
		{"failed service at 9", schedtest.ServiceJob("j", 1, 100, 64), api.AllocClientFailed, 9, true, 10, ""},
		{"failed service at limit", schedtest.ServiceJob("j", 1, 100, 64), api.AllocClientFailed, 10, false, 0, "reschedule limit of 10"},
		{"completed service", schedtest.ServiceJob("j", 1, 100, 64), api.AllocClientComplete, 0, true, 0, ""},
		{"completed batch", schedtest.BatchJob("j", 1, 100, 64), api.AllocClientComplete, 0, false, 0, ""},
		{"failed batch", schedtest.BatchJob("j", 1, 100, 64), api.AllocClientFailed, 2, true, 3, ""},
		{"failed batch at limit", schedtest.BatchJob("j", 1, 100, 64), api.AllocClientFailed, 3, false, 0, "reschedule limit of 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := cluster(t, 2, 4000, 8192)
			register(t, h, tt.job)
			first := h.Running("j")["web"][0]
			setClientStatus(h, first, tt.status, tt.count)

			plan := reprocess(t, h, "j", api.EvalTriggerAllocFailure)

			assert.Contains(t, h.LastEval().StatusDescription, tt.wantNote)
			if !tt.replaced {
				assert.True(t, plan.IsNoOp())
				assert.Equal(t, api.EvalStatusComplete, h.LastEval().Status)
				return
			}
			require.Len(t, placed(plan), 1)
			repl := placed(plan)[0]
			assert.Equal(t, first.ID, repl.PreviousAllocation)
			assert.Equal(t, first.Name, repl.Name)
			assert.Equal(t, tt.wantCount, repl.RescheduleCount)
			require.Len(t, stopped(plan), 1, "the finished allocation is marked replaced")
			assert.Equal(t, first.ID, stopped(plan)[0].ID)
			if tt.status == api.AllocClientFailed {
				assert.NotEqual(t, first.NodeID, repl.NodeID, "a failed allocation moves off its node")
			}

			// The replacement is not replaced again.
			assert.True(t, reprocess(t, h, "j", api.EvalTriggerAllocFailure).IsNoOp())
		})
	}
}

func TestGenericScheduler_PlacesNothingOnIneligibleNodes(t *testing.T) {
	tests := []struct {
		name   string
		change func(n *api.Node)
	}{
		{"down", func(n *api.Node) { n.Status = api.NodeStatusDown }},
		{"initializing", func(n *api.Node) { n.Status = api.NodeStatusInit }},
		{"ineligible", func(n *api.Node) { n.Eligibility = api.NodeIneligible }},
		{"draining", func(n *api.Node) { n.Drain = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := cluster(t, 2, 4000, 8192)
			setNode(h, "node-00", tt.change)
			register(t, h, schedtest.ServiceJob("web", 4, 100, 64))
			assert.Equal(t, map[string]int{"node-01": 4}, perNode(h, "web"))
		})
	}
}

func TestGenericScheduler_ReplacementWithoutRoom(t *testing.T) {
	t.Run("draining allocation keeps running", func(t *testing.T) {
		h := cluster(t, 2, 1000, 1024)
		register(t, h, schedtest.ServiceJob("web", 2, 600, 256))
		setNode(h, "node-00", func(n *api.Node) { n.Drain = true })

		plan := reprocess(t, h, "web", api.EvalTriggerNodeDrain)

		assert.True(t, plan.IsNoOp(), "nothing is stopped while its replacement has nowhere to go")
		assert.Equal(t, map[string]int{"node-00": 1, "node-01": 1}, perNode(h, "web"))
		assert.NotEmpty(t, h.LastEval().BlockedEval)
	})
	t.Run("failed allocation keeps its place in the chain", func(t *testing.T) {
		h := cluster(t, 1, 1000, 1024)
		register(t, h, schedtest.ServiceJob("web", 1, 600, 256))
		first := h.Running("web")["web"][0]
		setClientStatus(h, first, api.AllocClientFailed, 4)
		// Another job takes the room the failed allocation left.
		register(t, h, schedtest.ServiceJob("other", 1, 600, 256))

		plan := reprocess(t, h, "web", api.EvalTriggerAllocFailure)
		assert.True(t, plan.IsNoOp())
		assert.Equal(t, api.AllocDesiredRun, h.State.AllocByID(first.ID).DesiredStatus)

		// Once there is room the replacement continues the chain.
		h.State.UpsertNode(schedtest.Node("node-99", 1000, 1024))
		plan = reprocess(t, h, "web", api.EvalTriggerQueuedAllocs)
		require.Len(t, placed(plan), 1)
		assert.Equal(t, 5, placed(plan)[0].RescheduleCount)
		assert.Equal(t, first.ID, placed(plan)[0].PreviousAllocation)
		assert.Equal(t, first.ID, stopped(plan)[0].ID)
	})
}
