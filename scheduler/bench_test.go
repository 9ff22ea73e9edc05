package scheduler_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler"
	"github.com/constellation-sched/constellation/scheduler/schedtest"
)

// checkingPlanner checks plans with EvaluatePlan and applies nothing, so
// that every benchmark iteration plans the same evaluation on the same
// state.
type checkingPlanner struct {
	state  scheduler.State
	placed int
}

func (p *checkingPlanner) SubmitPlan(plan *api.Plan) (*api.PlanResult, scheduler.State, error) {
	result, err := scheduler.EvaluatePlan(p.state, plan)
	if err != nil {
		return nil, nil, err
	}
	for _, allocs := range result.NodeAllocation {
		p.placed += len(allocs)
	}
	return result, nil, nil
}

func (p *checkingPlanner) UpdateEval(*api.Evaluation) error { return nil }
func (p *checkingPlanner) CreateEval(*api.Evaluation) error { return nil }

// benchCluster returns the state of a cluster of n nodes of mixed sizes,
// each already running a few allocations of other jobs.
func benchCluster(n int) *schedtest.State {
	rng := rand.New(rand.NewPCG(1, 2))
	st := schedtest.NewState()
	other := schedtest.ServiceJob("other", 0, 0, 0)
	st.UpsertJob(other)
	var allocs []*api.Allocation
	for i := range n {
		node := schedtest.Node(fmt.Sprintf("node-%04d", i), 8000+rng.IntN(4)*4000, 16384+rng.IntN(4)*16384)
		st.UpsertNode(node)
		for j := range rng.IntN(4) {
			allocs = append(allocs, &api.Allocation{
				ID: fmt.Sprintf("other-%04d-%d", i, j), Name: fmt.Sprintf("other.web[%d]", len(allocs)),
				NodeID: node.ID, JobID: other.ID, TaskGroup: "web", Job: other,
				Resources:     map[string]*api.AllocatedResources{"server": {CPU: 500 + rng.IntN(1500), MemoryMB: 512 + rng.IntN(2048)}},
				DesiredStatus: api.AllocDesiredRun, ClientStatus: api.AllocClientRunning,
			})
		}
	}
	st.UpsertAllocs(allocs...)
	return st
}

// benchPlace runs one evaluation placing count allocations per iteration
// and reports its cost. The "all" case scores every feasible node per
// placement: the figure the default limit is compared with.
func benchPlace(b *testing.B, nodes, count int) {
	for _, limit := range []struct {
		name  string
		value int
	}{{"limit=16", 0}, {"limit=all", -1}} {
		b.Run(limit.name, func(b *testing.B) {
			st := benchCluster(nodes)
			job := schedtest.ServiceJob("web", count, 200, 256)
			st.UpsertJob(job)
			eval := &api.Evaluation{ID: "bench-eval", JobID: job.ID, Type: job.Type, Priority: 50}
			planner := &checkingPlanner{state: st}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				sched := scheduler.NewGenericScheduler(nil, st, planner).WithCandidateLimit(limit.value)
				if err := sched.Process(eval); err != nil {
					b.Fatal(err)
				}
			}
			if planner.placed != count*b.N {
				b.Fatalf("placed %d allocations, want %d", planner.placed, count*b.N)
			}
			secs := b.Elapsed().Seconds()
			b.ReportMetric(secs*1e3/float64(b.N), "ms/eval")
			b.ReportMetric(float64(planner.placed)/secs, "placements/s")
		})
	}
}

// BenchmarkGenericScheduler_Place100On1000Nodes is one evaluation placing
// 100 allocations on 1,000 nodes (plan check included).
func BenchmarkGenericScheduler_Place100On1000Nodes(b *testing.B) {
	benchPlace(b, 1000, 100)
}

// BenchmarkGenericScheduler_PlacementsPerSecond places 2,000 allocations
// in one evaluation on 1,000 nodes, so that per-placement cost dominates.
func BenchmarkGenericScheduler_PlacementsPerSecond(b *testing.B) {
	benchPlace(b, 1000, 2000)
}

// BenchmarkEvaluatePlan checks a plan of 100 placements on 1,000 nodes.
func BenchmarkEvaluatePlan(b *testing.B) {
	st := benchCluster(1000)
	job := schedtest.ServiceJob("web", 100, 200, 256)
	st.UpsertJob(job)
	h := schedtest.NewHarness()
	h.State = st
	h.NoApply = true
	if err := h.Process(&api.Evaluation{ID: "plan", JobID: job.ID, Type: job.Type}); err != nil {
		b.Fatal(err)
	}
	plan := h.Plans[0]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		result, err := scheduler.EvaluatePlan(st, plan)
		if err != nil || len(result.RejectedNodes) > 0 {
			b.Fatalf("evaluate plan: %v, rejected %v", err, result.RejectedNodes)
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "placements-checked/s")
}
