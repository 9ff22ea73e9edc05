package fsm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// placedHarness returns a harness with job "web" whose allocations a1 (on
// n1) and a2 (on n2) were placed at the returned index.
func placedHarness(t *testing.T) (*harness, uint64) {
	h := newHarness(t)
	job := testJob("web")
	h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n1")})
	h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n2")})
	h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: job, Eval: testEval("e1", "web")})
	idx := h.mustApply(PlanApplyRequestType, &PlanApplyRequest{
		EvalID: "e1", Job: job, Timestamp: 100,
		Alloc: []*api.Allocation{testAlloc("a1", "web", "n1", "e1"), testAlloc("a2", "web", "n2", "e1")},
		Evals: []*api.Evaluation{{ID: "e1", JobID: "web", Status: api.EvalStatusComplete}},
	})
	return h, idx
}

func TestFSM_PlanApplyPlacesAllocs(t *testing.T) {
	h, idx := placedHarness(t)
	a1 := h.alloc("a1")
	assert.Equal(t, idx, a1.CreateIndex)
	assert.Equal(t, idx, a1.ModifyIndex)
	assert.Equal(t, idx, a1.AllocModifyIndex)
	assert.Equal(t, int64(100), a1.CreateTime)
	assert.Equal(t, api.AllocClientPending, a1.ClientStatus)
	require.NotNil(t, a1.Job, "a nil Job takes the plan's job")
	assert.Equal(t, "web", a1.Job.ID)

	byNode, err := h.snap().AllocsByNode("n2")
	require.NoError(t, err)
	require.Len(t, byNode, 1)
	assert.Equal(t, "a2", byNode[0].ID)
	byJob, _ := h.snap().AllocsByJob("web")
	assert.Len(t, byJob, 2)
	byEval, _ := h.snap().AllocsByEval("e1")
	assert.Len(t, byEval, 2)

	eval, _ := h.snap().EvalByID("e1")
	assert.Equal(t, api.EvalStatusComplete, eval.Status)
	assert.Less(t, eval.CreateIndex, eval.ModifyIndex, "an updated eval keeps its CreateIndex")
	assert.Equal(t, api.JobStatusRunning, h.job("web").Status)
}

func TestFSM_PlanApplyStopsMergeOnlyDesiredFields(t *testing.T) {
	h, placed := placedHarness(t)
	h.mustApply(AllocClientUpdateRequestType, &AllocClientUpdateRequest{
		Allocs: []*api.Allocation{{ID: "a2", ClientStatus: api.AllocClientRunning}},
	})
	idx := h.mustApply(PlanApplyRequestType, &PlanApplyRequest{
		EvalID: "e2", Timestamp: 200,
		NodeUpdate: []*api.Allocation{
			// The plan's copies carry stale and bogus fields: only the
			// desired state (and a set client status) may be taken.
			{ID: "a1", NodeID: "elsewhere", DesiredStatus: api.AllocDesiredStop, DesiredDescription: "job stopped"},
			{ID: "a2", DesiredStatus: api.AllocDesiredStop, DesiredDescription: "node down",
				ClientStatus: api.AllocClientLost, ClientDescription: "node n2 is down"},
			{ID: "gone", DesiredStatus: api.AllocDesiredStop},
		},
	})

	a1 := h.alloc("a1")
	assert.Equal(t, api.AllocDesiredStop, a1.DesiredStatus)
	assert.Equal(t, "job stopped", a1.DesiredDescription)
	assert.Equal(t, "n1", a1.NodeID)
	assert.Equal(t, api.AllocClientPending, a1.ClientStatus, "an unset client status is kept")
	assert.Equal(t, placed, a1.CreateIndex)
	assert.Equal(t, idx, a1.AllocModifyIndex)
	assert.Equal(t, int64(200), a1.ModifyTime)
	assert.NotNil(t, a1.Job)

	a2 := h.alloc("a2")
	assert.Equal(t, api.AllocClientLost, a2.ClientStatus)
	assert.Equal(t, "node n2 is down", a2.ClientDescription)

	gone, _ := h.snap().AllocByID("gone")
	assert.Nil(t, gone, "a stop of an unknown allocation creates nothing")
}

func TestFSM_PlanApplyInPlaceUpdateKeepsClientFields(t *testing.T) {
	h, placed := placedHarness(t)
	h.mustApply(AllocClientUpdateRequestType, &AllocClientUpdateRequest{Allocs: []*api.Allocation{{
		ID: "a1", ClientStatus: api.AllocClientRunning,
		TaskStates: map[string]*api.TaskState{"server": {State: api.TaskStateRunning}},
	}}})

	job := testJob("web")
	job.Meta["team"] = "infra"
	update := testAlloc("a1", "web", "n1", "e2")
	update.ClientStatus = api.AllocClientPending // stale copy: must not win
	update.Job = job
	idx := h.mustApply(PlanApplyRequestType, &PlanApplyRequest{EvalID: "e2", Alloc: []*api.Allocation{update}})

	a1 := h.alloc("a1")
	assert.Equal(t, api.AllocClientRunning, a1.ClientStatus)
	assert.Contains(t, a1.TaskStates, "server")
	assert.Equal(t, "infra", a1.Job.Meta["team"])
	assert.Equal(t, "e2", a1.EvalID)
	assert.Equal(t, placed, a1.CreateIndex)
	assert.Equal(t, idx, a1.AllocModifyIndex)
}

func TestFSM_PlanApplyRefusesBadAllocs(t *testing.T) {
	tests := []struct {
		name  string
		alloc *api.Allocation
	}{
		{"no ID", &api.Allocation{NodeID: "n1", JobID: "web"}},
		{"no node", &api.Allocation{ID: "x", JobID: "web"}},
		{"bad desired status", &api.Allocation{ID: "x", NodeID: "n1", JobID: "web", DesiredStatus: "go"}},
		{"bad client status", &api.Allocation{ID: "x", NodeID: "n1", JobID: "web", ClientStatus: "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := placedHarness(t)
			before := h.snap().LatestIndex()
			err := h.apply(PlanApplyRequestType, &PlanApplyRequest{
				Alloc: []*api.Allocation{testAlloc("ok", "web", "n1", ""), tt.alloc},
				Evals: []*api.Evaluation{testEval("e7", "web")},
			})
			require.ErrorIs(t, err, ErrMalformedCommand)
			assert.Equal(t, before, h.snap().LatestIndex())
			ok, _ := h.snap().AllocByID("ok")
			assert.Nil(t, ok, "a refused plan is not partly applied")
		})
	}
}

func TestFSM_AllocClientUpdateMergesClientFields(t *testing.T) {
	h, placed := placedHarness(t)
	idx := h.mustApply(AllocClientUpdateRequestType, &AllocClientUpdateRequest{
		Timestamp: 300,
		Allocs: []*api.Allocation{
			{ID: "a1", ClientStatus: api.AllocClientFailed, ClientDescription: "exit 1",
				DesiredStatus: api.AllocDesiredStop, NodeID: "elsewhere",
				TaskStates: map[string]*api.TaskState{"server": {State: api.TaskStateDead, Failed: true, ExitCode: 1}}},
			{ID: "unknown", ClientStatus: api.AllocClientRunning},
		},
		Evals: []*api.Evaluation{{ID: "e2", JobID: "web", TriggeredBy: api.EvalTriggerAllocFailure,
			Status: api.EvalStatusPending}},
	})

	a1 := h.alloc("a1")
	assert.Equal(t, api.AllocClientFailed, a1.ClientStatus)
	assert.Equal(t, "exit 1", a1.ClientDescription)
	assert.Equal(t, 1, a1.TaskStates["server"].ExitCode)
	assert.Equal(t, api.AllocDesiredRun, a1.DesiredStatus, "clients do not set desired state")
	assert.Equal(t, "n1", a1.NodeID)
	assert.Equal(t, idx, a1.ModifyIndex)
	assert.Equal(t, placed, a1.AllocModifyIndex, "a client update is not a server change")
	assert.Equal(t, int64(300), a1.ModifyTime)

	unknown, _ := h.snap().AllocByID("unknown")
	assert.Nil(t, unknown)
	eval, _ := h.snap().EvalByID("e2")
	require.NotNil(t, eval)
	assert.Equal(t, idx, eval.CreateIndex)
}

func TestFSM_AllocClientUpdateCannotResurrect(t *testing.T) {
	tests := []struct {
		name       string
		serverMark *api.Allocation // a plan's NodeUpdate entry, or nil
		first      string          // first client report, "" for none
		late       string          // the late report
		want       string
	}{
		{"lost stays lost over running", &api.Allocation{ID: "a1", DesiredStatus: api.AllocDesiredStop,
			ClientStatus: api.AllocClientLost}, "", api.AllocClientRunning, api.AllocClientLost},
		{"lost stays lost over complete", &api.Allocation{ID: "a1", DesiredStatus: api.AllocDesiredStop,
			ClientStatus: api.AllocClientLost}, "", api.AllocClientComplete, api.AllocClientLost},
		{"stopped and complete stays complete", &api.Allocation{ID: "a1", DesiredStatus: api.AllocDesiredStop},
			api.AllocClientComplete, api.AllocClientRunning, api.AllocClientComplete},
		{"failed stays failed over pending", nil, api.AllocClientFailed, api.AllocClientPending, api.AllocClientFailed},
		{"running may complete", nil, api.AllocClientRunning, api.AllocClientComplete, api.AllocClientComplete},
		{"stopped but running may report running", &api.Allocation{ID: "a1", DesiredStatus: api.AllocDesiredStop},
			"", api.AllocClientRunning, api.AllocClientRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := placedHarness(t)
			if tt.serverMark != nil {
				h.mustApply(PlanApplyRequestType, &PlanApplyRequest{NodeUpdate: []*api.Allocation{tt.serverMark}})
			}
			if tt.first != "" {
				h.mustApply(AllocClientUpdateRequestType, &AllocClientUpdateRequest{
					Allocs: []*api.Allocation{{ID: "a1", ClientStatus: tt.first}},
				})
			}
			h.mustApply(AllocClientUpdateRequestType, &AllocClientUpdateRequest{Allocs: []*api.Allocation{{
				ID: "a1", ClientStatus: tt.late,
				TaskStates: map[string]*api.TaskState{"server": {State: api.TaskStateDead}},
			}}})
			a1 := h.alloc("a1")
			assert.Equal(t, tt.want, a1.ClientStatus)
			assert.Equal(t, api.TaskStateDead, a1.TaskStates["server"].State, "task states are still merged")
		})
	}
}

func TestFSM_AllocClientUpdateRefusesBadStatus(t *testing.T) {
	h, _ := placedHarness(t)
	err := h.apply(AllocClientUpdateRequestType, &AllocClientUpdateRequest{
		Allocs: []*api.Allocation{{ID: "a1", ClientStatus: "happy"}},
	})
	require.ErrorIs(t, err, ErrMalformedCommand)
	assert.Contains(t, err.Error(), "happy")
	assert.Equal(t, api.AllocClientPending, h.alloc("a1").ClientStatus)
}

func TestFSM_EvalUpdateAndDelete(t *testing.T) {
	h := newHarness(t)
	created := h.mustApply(EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*api.Evaluation{
		testEval("e1", "web"), testEval("e2", "web"), testEval("e3", "api"),
	}})
	e1 := testEval("e1", "web")
	e1.Status = api.EvalStatusComplete
	updated := h.mustApply(EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*api.Evaluation{e1}})

	got, _ := h.snap().EvalByID("e1")
	assert.Equal(t, created, got.CreateIndex)
	assert.Equal(t, updated, got.ModifyIndex)
	assert.Equal(t, api.EvalStatusComplete, got.Status)
	byJob, err := h.snap().EvalsByJob("web")
	require.NoError(t, err)
	assert.Len(t, byJob, 2)

	deleted := h.mustApply(EvalDeleteRequestType, &EvalDeleteRequest{EvalIDs: []string{"e1", "e3", "missing"}})
	evals, _ := h.snap().Evals()
	require.Len(t, evals, 1)
	assert.Equal(t, "e2", evals[0].ID)
	assert.Equal(t, deleted, h.snap().TableIndex(TableEvals))

	err = h.apply(EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*api.Evaluation{{JobID: "web"}}})
	require.ErrorIs(t, err, ErrMalformedCommand)
}
