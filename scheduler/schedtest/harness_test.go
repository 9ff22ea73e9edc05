package schedtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func TestState_SnapshotIsolated(t *testing.T) {
	st := NewState()
	st.UpsertNode(Node("n1", 1000, 1024))
	snap := st.Snapshot()
	st.UpsertNode(Node("n2", 1000, 1024))
	st.UpsertAllocs(&api.Allocation{ID: "a", NodeID: "n1", JobID: "j"})

	nodes, _ := snap.Nodes()
	assert.Len(t, nodes, 1)
	allocs, _ := snap.AllocsByNode("n1")
	assert.Empty(t, allocs)
	assert.Less(t, snap.LatestIndex(), st.LatestIndex())
	allocs, _ = st.AllocsByJob("j")
	assert.Len(t, allocs, 1)
}

func TestHarness_ApplyKeepsClientStatus(t *testing.T) {
	h := NewHarness()
	h.State.UpsertNode(Node("n1", 1000, 1024))
	job := ServiceJob("j", 1, 100, 64)
	h.State.UpsertJob(job)
	stale := &api.Allocation{ID: "a", NodeID: "n1", JobID: "j", TaskGroup: "web",
		DesiredStatus: api.AllocDesiredRun, ClientStatus: api.AllocClientRunning}
	h.State.UpsertAllocs(stale)
	done := *stale
	done.ClientStatus = api.AllocClientComplete
	h.State.UpsertAllocs(&done)

	plan := &api.Plan{}
	plan.AppendUpdate(stale, api.AllocDesiredStop, "stop", "")
	result, _, err := h.SubmitPlan(plan)
	require.NoError(t, err)

	got := h.State.AllocByID("a")
	assert.Equal(t, api.AllocDesiredStop, got.DesiredStatus)
	assert.Equal(t, api.AllocClientComplete, got.ClientStatus, "a stale copy in the plan does not undo the client's report")
	assert.Equal(t, result.AllocIndex, got.ModifyIndex)
	assert.Same(t, job, got.Job)
}
