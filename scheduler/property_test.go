package scheduler_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler/schedtest"
)

// TestGenericScheduler_PropertyNoOvercommit plans random jobs on random
// clusters, several on one stale snapshot so that the plan applier has to
// refuse some nodes, then changes the cluster (scaling, failed allocations,
// nodes going down or draining) and plans again. After every round no node
// holds more than it offers, and, when every allocation has one size, each
// group runs exactly Count allocations whenever a simple reference (free
// slots per node, summed) says the cluster can hold them; allocations stay
// on a draining node only while the other nodes have no room for them.
func TestGenericScheduler_PropertyNoOvercommit(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		h := schedtest.NewHarness()
		uniform := rapid.Bool().Draw(rt, "uniform")
		sizeCPU := rapid.IntRange(100, 2000).Draw(rt, "size_cpu")
		sizeMem := rapid.IntRange(64, 4096).Draw(rt, "size_mem")

		// A random cluster.
		nodes := rapid.IntRange(1, 12).Draw(rt, "nodes")
		for i := range nodes {
			n := schedtest.Node(fmt.Sprintf("n%02d", i),
				rapid.IntRange(500, 8000).Draw(rt, "node_cpu"),
				rapid.IntRange(256, 16384).Draw(rt, "node_mem"))
			h.State.UpsertNode(n)
		}

		// Random service jobs, all planned on one snapshot.
		var jobs []*api.Job
		for j := range rapid.IntRange(1, 4).Draw(rt, "jobs") {
			cpu, mem := sizeCPU, sizeMem
			if !uniform {
				cpu = rapid.IntRange(100, 4000).Draw(rt, "job_cpu")
				mem = rapid.IntRange(64, 8192).Draw(rt, "job_mem")
			}
			job := schedtest.ServiceJob(fmt.Sprintf("job%d", j), rapid.IntRange(0, 10).Draw(rt, "count"), cpu, mem)
			h.State.UpsertJob(job)
			jobs = append(jobs, job)
		}
		snap := h.State.Snapshot()
		for _, job := range jobs {
			if err := h.Scheduler(snap).Process(h.NewEval(job, api.EvalTriggerJobRegister)); err != nil {
				rt.Fatalf("process %s: %v", job.ID, err)
			}
		}
		checkCluster(rt, h, jobs, uniform, sizeCPU, sizeMem)

		// Random changes, then every job planned again.
		for range rapid.IntRange(0, 3).Draw(rt, "rounds") {
			changeCluster(rt, h, jobs)
			// The second pass stands in for the server unblocking the
			// blocked evaluations of jobs processed before another job
			// freed room.
			for range 2 {
				for _, job := range jobs {
					if err := h.Process(h.NewEval(job, api.EvalTriggerNodeUpdate)); err != nil {
						rt.Fatalf("process %s: %v", job.ID, err)
					}
				}
			}
			checkCluster(rt, h, jobs, uniform, sizeCPU, sizeMem)
		}
	})
}

// changeCluster applies one random change: a job scaled, an allocation
// failed, a node down or a node draining.
func changeCluster(rt *rapid.T, h *schedtest.Harness, jobs []*api.Job) {
	switch rapid.IntRange(0, 3).Draw(rt, "change") {
	case 0:
		i := rapid.IntRange(0, len(jobs)-1).Draw(rt, "scale_job")
		old := jobs[i]
		res := old.TaskGroups[0].Tasks[0].Resources
		job := schedtest.ServiceJob(old.ID, rapid.IntRange(0, 10).Draw(rt, "new_count"), res.CPU, res.MemoryMB)
		h.State.UpsertJob(job)
		jobs[i] = job
	case 1:
		var running []*api.Allocation
		for _, a := range h.State.Allocs() {
			if !a.Terminal() {
				running = append(running, a)
			}
		}
		if len(running) == 0 {
			return
		}
		a := *running[rapid.IntRange(0, len(running)-1).Draw(rt, "fail_alloc")]
		a.ClientStatus = api.AllocClientFailed
		h.State.UpsertAllocs(&a)
	case 2, 3:
		all, _ := h.State.Nodes()
		n := *all[rapid.IntRange(0, len(all)-1).Draw(rt, "node")]
		if rapid.Bool().Draw(rt, "down") {
			n.Status = api.NodeStatusDown
		} else {
			n.Drain = true
		}
		h.State.UpsertNode(&n)
	}
}

// checkCluster asserts the properties on the harness's state.
func checkCluster(rt *rapid.T, h *schedtest.Harness, jobs []*api.Job, uniform bool, sizeCPU, sizeMem int) {
	all, _ := h.State.Nodes()
	slots, onDrain := 0, 0
	for _, n := range all {
		allocs, _ := h.State.AllocsByNode(n.ID)
		cpu, mem := 0, 0
		for _, a := range allocs {
			if a.Terminal() {
				continue
			}
			if n.Status != api.NodeStatusReady {
				rt.Fatalf("alloc %s still runs on node %s (status %s)", a.Name, n.ID, n.Status)
			}
			if n.Drain {
				onDrain++
			}
			for _, r := range a.Resources {
				cpu += r.CPU
				mem += r.MemoryMB
			}
		}
		if cpu > n.Resources.CPU || mem > n.Resources.MemoryMB {
			rt.Fatalf("node %s overcommitted: cpu %d/%d, memory %d/%d", n.ID, cpu, n.Resources.CPU, mem, n.Resources.MemoryMB)
		}
		if n.Status == api.NodeStatusReady && !n.Drain {
			slots += min(n.Resources.CPU/sizeCPU, n.Resources.MemoryMB/sizeMem)
		}
	}
	if !uniform {
		return
	}
	want := 0
	for _, job := range jobs {
		want += job.TaskGroups[0].Count
	}
	if want > slots {
		return
	}
	if onDrain > 0 {
		rt.Fatalf("%d allocations wait on draining nodes though the others have room", onDrain)
	}
	for _, job := range jobs {
		if got := len(h.Running(job.ID)["web"]); got != job.TaskGroups[0].Count {
			rt.Fatalf("job %s runs %d allocations, want %d (cluster has %d slots for %d)",
				job.ID, got, job.TaskGroups[0].Count, slots, want)
		}
	}
}
