package devices

import (
	"fmt"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// counts are the requests of one class and the GPU time they ask for,
// offered and placed.
type counts struct {
	placed, total         int
	placedGPUT, totalGPUT float64
}

// tally holds counts per workload class.
type tally map[string]counts

// add counts one job, placed or not.
func (t tally) add(j job, placed bool) {
	c := t[j.class]
	w := gpuTime(j)
	c.total++
	c.totalGPUT += w
	if placed {
		c.placed++
		c.placedGPUT += w
	}
	t[j.class] = c
}

// merge adds the counts of o to t.
func (t tally) merge(o tally) {
	for class, c := range o {
		s := t[class]
		s.placed += c.placed
		s.total += c.total
		s.placedGPUT += c.placedGPUT
		s.totalGPUT += c.totalGPUT
		t[class] = s
	}
}

// sum returns the counts of class, or of every class for "".
func (t tally) sum(class string) counts {
	var s counts
	for c, n := range t {
		if class == "" || c == class {
			s.placed += n.placed
			s.total += n.total
			s.placedGPUT += n.placedGPUT
			s.totalGPUT += n.totalGPUT
		}
	}
	return s
}

// gpuTime is the GPU time a job asks for, in GPU-steps: whole GPUs count
// one each, a MIG instance its compute slices over 7, an MPS share its
// compute percent, a timeslice share one replica's part.
func gpuTime(j job) float64 {
	r := j.reqs[0]
	w := float64(r.Count)
	switch {
	case r.MIGProfile != "":
		slices, _ := strconv.Atoi(strings.SplitN(r.MIGProfile, "g", 2)[0])
		w = float64(slices) / 7
	case r.Sharing == api.SharingMPS:
		w = float64(r.MPSComputePercent) / 100
	case r.Sharing == api.SharingTimeslice:
		w = 1.0 / DefaultTimesliceReplicas
	}
	return w * float64(j.duration)
}

// running is a placed job that holds its devices until end.
type running struct {
	end   int
	node  int
	alloc *api.Allocation
}

// simulate replays jobs on nodes with place: at each arrival the jobs that
// ended leave, then the job is placed or refused. It returns the tally and
// every node's allocations at the end.
func simulate(nodes []*api.Node, jobs []job, place placer) (tally, [][]*api.Allocation) {
	allocs := make([][]*api.Allocation, len(nodes))
	var live []running
	t := tally{}
	for k, j := range jobs {
		live = slices.DeleteFunc(live, func(r running) bool {
			if r.end > j.arrive {
				return false
			}
			allocs[r.node] = slices.DeleteFunc(allocs[r.node], func(a *api.Allocation) bool { return a == r.alloc })
			return true
		})
		i, devs, ok := place(nodes, allocs, j.reqs)
		t.add(j, ok)
		if ok {
			a := placedOn(nodes[i], fmt.Sprint(k), devs)
			allocs[i] = append(allocs[i], a)
			live = append(live, running{end: j.arrive + j.duration, node: i, alloc: a})
		}
	}
	return t, allocs
}

// TestPacking replays a seeded mixed workload (see syntheticWorkload) on a
// synthetic cluster of 100 nodes x 8 GPUs (see syntheticCluster: A100-40GB,
// A100-80GB and H100 nodes, a third of them all-MIG), once with Assign's
// packing (every node scored, highest score wins) and once with first-fit,
// at two loads: 25 arrivals a step, about what the cluster holds, and 40, a
// steady overload. It logs, per class, the share of requests and of
// requested GPU time each places; run it with -run TestPacking -v.
//
// It asserts that packing places at least as much GPU time as first-fit.
// By count of requests packing places fewer under overload: it keeps room
// for multi-GPU and large-memory requests, and each of those it places
// takes the room of several small ones that first-fit places instead.
func TestPacking(t *testing.T) {
	seeds, steps, loads := []int64{1, 2}, 150, []float64{25, 40}
	if testing.Short() {
		seeds, steps, loads = seeds[:1], 80, loads[1:]
	}
	for _, load := range loads {
		t.Run(fmt.Sprintf("load_%.0f", load), func(t *testing.T) {
			ours, base := tally{}, tally{}
			for _, seed := range seeds {
				r := rand.New(rand.NewSource(seed))
				nodes := syntheticCluster(r, 100)
				jobs := syntheticWorkload(r, steps, load)
				o, oAllocs := simulate(nodes, jobs, packingPlacer)
				f, fAllocs := simulate(nodes, jobs, firstFit)
				for i, n := range nodes {
					require.NoError(t, Check(n, oAllocs[i]), "packing left node %s inconsistent", n.ID)
					require.NoError(t, Check(n, fAllocs[i]), "first-fit left node %s inconsistent", n.ID)
				}
				ours.merge(o)
				base.merge(f)
			}
			t.Log(packingTable(ours, base, len(seeds), steps, load))
			o, f := ours.sum(""), base.sum("")
			assert.GreaterOrEqual(t, o.placedGPUT, f.placedGPUT, "packing placed less GPU time than first-fit")
		})
	}
}

// TestPacking_LargeRequestsLater fills the synthetic cluster of TestPacking
// in two waves that never leave: first 300 single whole-GPU requests of
// any size and 300 MPS shares (as in the mixed workload), then 150
// whole-GPU requests needing 60 GB and 20 requests for 8 GPUs. It asserts
// that packing places at least as many requests as first-fit, which spends
// large GPUs and free nodes on the first wave.
func TestPacking_LargeRequestsLater(t *testing.T) {
	seeds := []int64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	ours, base := tally{}, tally{}
	for _, seed := range seeds {
		r := rand.New(rand.NewSource(seed))
		nodes := syntheticCluster(r, 100)
		var jobs []job
		add := func(n int, class string, req func() *api.DeviceRequest) {
			for range n {
				jobs = append(jobs, job{arrive: len(jobs), duration: 1 << 30, class: class,
					reqs: []*api.DeviceRequest{req()}})
			}
		}
		add(300, "wave 1 whole", func() *api.DeviceRequest { return &api.DeviceRequest{Name: "gpu", Count: 1} })
		add(300, "wave 1 MPS", func() *api.DeviceRequest {
			_, reqs := randomJobRequest(r)
			for reqs[0].Sharing != api.SharingMPS {
				_, reqs = randomJobRequest(r)
			}
			return reqs[0]
		})
		add(150, "wave 2 60 GB", func() *api.DeviceRequest {
			return &api.DeviceRequest{Name: "gpu", Count: 1, MinMemoryMB: 60000}
		})
		add(20, "wave 2 8 GPUs", func() *api.DeviceRequest { return &api.DeviceRequest{Name: "gpu", Count: 8} })
		o, _ := simulate(nodes, jobs, packingPlacer)
		f, _ := simulate(nodes, jobs, firstFit)
		ours.merge(o)
		base.merge(f)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%d seeds, two waves that never leave\n%-14s %8s %8s %8s\n",
		len(seeds), "class", "requests", "packing", "1st-fit")
	for _, c := range []string{"wave 1 whole", "wave 1 MPS", "wave 2 60 GB", "wave 2 8 GPUs", ""} {
		o, f := ours.sum(c), base.sum(c)
		fmt.Fprintf(&b, "%-14s %8d %7.1f%% %7.1f%%\n", orDefault(c, "all"), o.total,
			pct(o.placed, o.total), pct(f.placed, f.total))
	}
	t.Log(b.String())
	assert.GreaterOrEqual(t, ours.sum("").placed, base.sum("").placed,
		"packing placed fewer requests than first-fit")
}

// packingTable formats the comparison of ours against the baseline.
func packingTable(ours, base tally, seeds, steps int, load float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d seeds x %d steps, %.0f arrivals per step, 100 nodes x 8 GPUs\n", seeds, steps, load)
	fmt.Fprintf(&b, "%-10s %8s | %-17s | %-17s\n", "", "", "requests placed", "GPU time placed")
	fmt.Fprintf(&b, "%-10s %8s | %8s %8s | %8s %8s\n", "class", "requests", "packing", "1st-fit", "packing", "1st-fit")
	for _, c := range append(slices.Clone(workloadClasses), "all") {
		key := c
		if c == "all" {
			key = ""
		}
		o, f := ours.sum(key), base.sum(key)
		fmt.Fprintf(&b, "%-10s %8d | %7.1f%% %7.1f%% | %7.1f%% %7.1f%%\n", c, o.total,
			pct(o.placed, o.total), pct(f.placed, f.total),
			100*o.placedGPUT/o.totalGPUT, 100*f.placedGPUT/f.totalGPUT)
	}
	return b.String()
}

// pct returns a as a percentage of b.
func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
