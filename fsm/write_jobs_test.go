package fsm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func TestFSM_JobRegisterStoresJobAndEval(t *testing.T) {
	h := newHarness(t)
	job := testJob("web")
	job.Status = api.JobStatusDead // ignored: the FSM derives status
	job.Version = 7                // ignored: the FSM counts versions
	idx := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: job, Eval: testEval("e1", "web")})

	got := h.job("web")
	assert.Equal(t, idx, got.CreateIndex)
	assert.Equal(t, idx, got.ModifyIndex)
	assert.Equal(t, idx, got.JobModifyIndex)
	assert.Equal(t, uint64(0), got.Version)
	assert.Equal(t, api.JobStatusPending, got.Status)
	assert.Equal(t, job.TaskGroups[0].Tasks[0].Config["module"], got.TaskGroups[0].Tasks[0].Config["module"])

	eval, err := h.snap().EvalByID("e1")
	require.NoError(t, err)
	require.NotNil(t, eval)
	assert.Equal(t, idx, eval.CreateIndex)
	assert.Equal(t, idx, h.snap().TableIndex(TableJobs))
	assert.Equal(t, idx, h.snap().TableIndex(TableEvals))
	assert.Equal(t, uint64(0), h.snap().TableIndex(TableAllocs))
}

func TestFSM_JobRegisterRefusesMissingID(t *testing.T) {
	h := newHarness(t)
	err := h.apply(JobRegisterRequestType, &JobRegisterRequest{Job: &api.Job{Name: "x"}})
	require.ErrorIs(t, err, ErrMalformedCommand)
	err = h.apply(JobRegisterRequestType, &JobRegisterRequest{})
	require.ErrorIs(t, err, ErrMalformedCommand)
	assert.Equal(t, uint64(0), h.snap().LatestIndex())
}

func TestFSM_JobRegisterEnforceIndex(t *testing.T) {
	tests := []struct {
		name     string
		existing bool
		index    func(registered uint64) uint64
		wantErr  bool
	}{
		{"new job with 0", false, func(uint64) uint64 { return 0 }, false},
		{"new job with nonzero", false, func(uint64) uint64 { return 5 }, true},
		{"existing with current", true, func(r uint64) uint64 { return r }, false},
		{"existing with 0", true, func(uint64) uint64 { return 0 }, true},
		{"existing with stale", true, func(r uint64) uint64 { return r - 1 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n1")})
			var registered uint64
			if tt.existing {
				registered = h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
			}
			changed := testJob("web")
			changed.Priority = 90
			before := h.snap().LatestIndex()

			err := h.apply(JobRegisterRequestType, &JobRegisterRequest{
				Job: changed, Eval: testEval("e9", "web"),
				EnforceIndex: true, JobModifyIndex: tt.index(registered),
			})
			if !tt.wantErr {
				require.NoError(t, err)
				assert.Equal(t, 90, h.job("web").Priority)
				return
			}
			require.ErrorIs(t, err, ErrIndexMismatch)
			assert.Contains(t, err.Error(), `"web"`)
			assert.Equal(t, before, h.snap().LatestIndex(), "a refused register changes nothing")
			eval, _ := h.snap().EvalByID("e9")
			assert.Nil(t, eval, "a refused register stores no eval")
		})
	}
}

func TestFSM_JobRegisterVersionBump(t *testing.T) {
	tests := []struct {
		name        string
		change      func(job *api.Job)
		wantVersion uint64
	}{
		{"identical spec", func(*api.Job) {}, 0},
		{"status and indexes only", func(j *api.Job) {
			j.Status = api.JobStatusRunning
			j.CreateIndex, j.ModifyIndex, j.JobModifyIndex = 99, 99, 99
			j.SubmitTime = 12345
		}, 0},
		{"count", func(j *api.Job) { j.TaskGroups[0].Count = 5 }, 1},
		{"driver config", func(j *api.Job) { j.TaskGroups[0].Tasks[0].Config["module"] = "v2.wasm" }, 1},
		{"meta", func(j *api.Job) { j.Meta["team"] = "api" }, 1},
		{"stop", func(j *api.Job) { j.Stop = true }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			first := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
			job := testJob("web")
			tt.change(job)
			second := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: job})

			got := h.job("web")
			assert.Equal(t, tt.wantVersion, got.Version)
			assert.Equal(t, first, got.CreateIndex)
			assert.Equal(t, second, got.ModifyIndex)
			versions, err := h.snap().JobVersions("web")
			require.NoError(t, err)
			require.Len(t, versions, int(tt.wantVersion)+1)
			if tt.wantVersion == 0 {
				assert.Equal(t, first, got.JobModifyIndex, "an unchanged spec keeps JobModifyIndex")
				return
			}
			assert.Equal(t, second, got.JobModifyIndex)
			assert.Equal(t, []uint64{1, 0}, []uint64{versions[0].Version, versions[1].Version})
		})
	}
}

func TestFSM_JobVersionsKeepsLastSix(t *testing.T) {
	h := newHarness(t)
	for i := 1; i <= 9; i++ {
		job := testJob("web")
		job.TaskGroups[0].Count = i
		h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: job})
	}
	// Another job whose ID extends this one must not be mixed in.
	h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web2")})

	versions, err := h.snap().JobVersions("web")
	require.NoError(t, err)
	var got []uint64
	for _, v := range versions {
		got = append(got, v.Version)
		assert.Equal(t, int(v.Version)+1, v.TaskGroups[0].Count)
	}
	assert.Equal(t, []uint64{8, 7, 6, 5, 4, 3}, got)
	assert.Equal(t, uint64(8), h.job("web").Version)
}

func TestFSM_JobDeregister(t *testing.T) {
	t.Run("stop makes a new version", func(t *testing.T) {
		h := newHarness(t)
		h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
		idx := h.mustApply(JobDeregisterRequestType, &JobDeregisterRequest{
			JobID: "web", Eval: testEval("e2", "web"), SubmitTime: 77,
		})
		got := h.job("web")
		assert.True(t, got.Stop)
		assert.Equal(t, uint64(1), got.Version)
		assert.Equal(t, idx, got.JobModifyIndex)
		assert.Equal(t, int64(77), got.SubmitTime)
		assert.Equal(t, api.JobStatusDead, got.Status, "stopped with no allocations")
		versions, _ := h.snap().JobVersions("web")
		require.Len(t, versions, 2)
		assert.False(t, versions[1].Stop)

		// Stopping again changes no spec.
		h.mustApply(JobDeregisterRequestType, &JobDeregisterRequest{JobID: "web"})
		assert.Equal(t, uint64(1), h.job("web").Version)
	})
	t.Run("purge deletes job and versions", func(t *testing.T) {
		h := newHarness(t)
		h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
		h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web2")})
		h.mustApply(JobDeregisterRequestType, &JobDeregisterRequest{JobID: "web", Purge: true})
		job, _ := h.snap().JobByID("web")
		assert.Nil(t, job)
		versions, _ := h.snap().JobVersions("web")
		assert.Empty(t, versions)
		versions, _ = h.snap().JobVersions("web2")
		assert.Len(t, versions, 1)

		// Registering again starts over at version 0.
		h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
		assert.Equal(t, uint64(0), h.job("web").Version)
	})
	t.Run("unknown job", func(t *testing.T) {
		h := newHarness(t)
		err := h.apply(JobDeregisterRequestType, &JobDeregisterRequest{JobID: "nope", Eval: testEval("e1", "nope")})
		require.ErrorIs(t, err, ErrJobNotFound)
		eval, _ := h.snap().EvalByID("e1")
		assert.Nil(t, eval)
	})
}

func TestFSM_JobStatusDerivedFromAllocs(t *testing.T) {
	tests := []struct {
		name   string
		batch  bool
		client string // client status reported for the only allocation
		evalSt string // status of a later evaluation, "" for none
		stop   bool
		want   string
	}{
		{name: "service running", client: api.AllocClientRunning, want: api.JobStatusRunning},
		{name: "service pending alloc counts as running", want: api.JobStatusRunning},
		{name: "service complete not stopped", client: api.AllocClientComplete,
			want: api.JobStatusPending},
		{name: "service stopped, alloc still running", client: api.AllocClientRunning,
			stop: true, want: api.JobStatusRunning},
		{name: "service stopped, alloc failed", client: api.AllocClientFailed,
			stop: true, want: api.JobStatusDead},
		{name: "batch complete", batch: true, client: api.AllocClientComplete,
			want: api.JobStatusDead},
		{name: "batch complete, retry pending", batch: true, client: api.AllocClientComplete,
			evalSt: api.EvalStatusPending, want: api.JobStatusPending},
		{name: "batch running", batch: true, client: api.AllocClientRunning,
			want: api.JobStatusRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := testJob("j")
			if tt.batch {
				job = testBatchJob("j")
			}
			h := newHarness(t)
			h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: job, Eval: testEval("e1", "j")})
			assert.Equal(t, api.JobStatusPending, h.job("j").Status)
			h.mustApply(PlanApplyRequestType, &PlanApplyRequest{
				Job:   job,
				Alloc: []*api.Allocation{testAlloc("a1", "j", "n1", "e1")},
				Evals: []*api.Evaluation{{ID: "e1", JobID: "j", Status: api.EvalStatusComplete}},
			})
			if tt.client != "" {
				h.mustApply(AllocClientUpdateRequestType, &AllocClientUpdateRequest{
					Allocs: []*api.Allocation{{ID: "a1", ClientStatus: tt.client}},
				})
			}
			if tt.evalSt != "" {
				eval := testEval("e2", "j")
				eval.Status = tt.evalSt
				h.mustApply(EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*api.Evaluation{eval}})
			}
			if tt.stop {
				h.mustApply(JobDeregisterRequestType, &JobDeregisterRequest{JobID: "j"})
			}
			assert.Equal(t, tt.want, h.job("j").Status)
		})
	}
}

func TestFSM_JobStatusChangeMovesModifyIndex(t *testing.T) {
	h := newHarness(t)
	job := testJob("web")
	h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: job})
	idx := h.mustApply(PlanApplyRequestType, &PlanApplyRequest{
		Job: job, Alloc: []*api.Allocation{testAlloc("a1", "web", "n1", "")},
	})
	got := h.job("web")
	assert.Equal(t, api.JobStatusRunning, got.Status)
	assert.Equal(t, idx, got.ModifyIndex)
	assert.Equal(t, idx, h.snap().TableIndex(TableJobs))
	assert.Less(t, got.JobModifyIndex, idx, "a status change is not a spec change")
}

func TestFSM_JobRegisterSetsEvalJobModifyIndex(t *testing.T) {
	h := newHarness(t)
	first := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web"), Eval: testEval("e1", "web")})
	h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web"), Eval: testEval("e2", "web")})
	stopped := h.mustApply(JobDeregisterRequestType, &JobDeregisterRequest{JobID: "web", Eval: testEval("e3", "web")})

	want := map[string]uint64{"e1": first, "e2": first, "e3": stopped}
	for id, index := range want {
		eval, err := h.snap().EvalByID(id)
		require.NoError(t, err)
		assert.Equal(t, index, eval.JobModifyIndex, "eval %s", id)
	}
}
