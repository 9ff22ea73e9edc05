package fsm

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// BenchmarkFSM_ApplyPlan measures Apply of a PlanApplyRequest with 10
// placements and one eval update, decoding included, on a store that
// already holds 10,000 allocations on 100 nodes, and compares it with the
// same plan on an empty store (store=0). It reports ns/op and the
// placements committed per second. Every 100 plans the store is restored
// to its starting size (with the timer stopped) so that b.N does not grow
// it much past 10,000.
//
//	go test ./fsm -run '^$' -bench ApplyPlan -benchmem
func BenchmarkFSM_ApplyPlan(b *testing.B) {
	for _, size := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("store=%d", size), func(b *testing.B) {
			benchmarkApplyPlan(b, size)
		})
	}
}

// benchmarkApplyPlan runs the benchmark on a store of size allocations.
func benchmarkApplyPlan(b *testing.B, size int) {
	const placements, resetEvery = 10, 100
	base, index := benchmarkStore(b, size)
	job := testJob("web")

	f := New(nil)
	plan := 0
	for b.Loop() {
		// Restore the starting store and encode the next batch of plans.
		if plan%resetEvery == 0 {
			b.StopTimer()
			require.NoError(b, f.Restore(io.NopCloser(bytes.NewReader(base))))
			b.StartTimer()
		}

		b.StopTimer()
		data := encodePlan(b, job, plan, placements)
		index++
		b.StartTimer()

		if resp := f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: data}); resp != nil {
			b.Fatalf("apply plan %d: %v", plan, resp)
		}
		plan++
	}
	b.ReportMetric(float64(placements*b.N)/b.Elapsed().Seconds(), "placements/s")
}

// benchmarkStore returns the snapshot of a store with one job, 100 nodes
// and size running allocations of the job, and its last index.
func benchmarkStore(b *testing.B, size int) ([]byte, uint64) {
	b.Helper()
	h := newHarness(b)
	job := testJob("web")
	job.TaskGroups[0].Count = size + 1_000_000
	for n := range 100 {
		h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode(fmt.Sprintf("node-%03d", n))})
	}
	h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: job, Eval: testEval("eval-base", "web")})

	const batch = 500
	for start := 0; start < size; start += batch {
		req := &PlanApplyRequest{EvalID: "eval-base", Job: job, Timestamp: int64(start)}
		for i := start; i < min(start+batch, size); i++ {
			alloc := testAlloc(fmt.Sprintf("base-%06d", i), "web", fmt.Sprintf("node-%03d", i%100), "eval-base")
			alloc.ClientStatus = api.AllocClientRunning
			req.Alloc = append(req.Alloc, alloc)
		}
		h.mustApply(PlanApplyRequestType, req)
	}
	allocs, _ := h.snap().Allocs()
	require.Len(b, allocs, size)
	return persist(b, h.fsm), h.index
}

// encodePlan encodes the plan-th benchmark plan: placements new
// allocations and the completion of its eval.
func encodePlan(b *testing.B, job *api.Job, plan, placements int) []byte {
	evalID := fmt.Sprintf("eval-%08d", plan)
	req := &PlanApplyRequest{
		EvalID:    evalID,
		Job:       job,
		Timestamp: int64(plan),
		Evals:     []*api.Evaluation{{ID: evalID, JobID: "web", Status: api.EvalStatusComplete}},
	}
	for i := range placements {
		id := fmt.Sprintf("plan-%08d-%02d", plan, i)
		req.Alloc = append(req.Alloc, testAlloc(id, "web", fmt.Sprintf("node-%03d", i), evalID))
	}
	data, err := Encode(PlanApplyRequestType, req)
	require.NoError(b, err)
	return data
}
