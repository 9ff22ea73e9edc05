package devices

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/constellation-sched/constellation/api"
)

// placer puts one task's device requests on one of nodes, given each
// node's allocations, and returns the node's index and the assignment.
type placer func(nodes []*api.Node, allocs [][]*api.Allocation, reqs []*api.DeviceRequest) (int, []*api.AllocatedDevice, bool)

// packingPlacer asks Assign on every node and takes the highest score,
// the earliest node on ties.
func packingPlacer(nodes []*api.Node, allocs [][]*api.Allocation, reqs []*api.DeviceRequest) (int, []*api.AllocatedDevice, bool) {
	best, bestScore := -1, -1.0
	var bestDevs []*api.AllocatedDevice
	for i, n := range nodes {
		devs, score, err := Assign(n, allocs[i], reqs)
		if err == nil && score > bestScore {
			best, bestScore, bestDevs = i, score, devs
		}
	}
	return best, bestDevs, best >= 0
}

// firstFit is the baseline: the first node, in order, on which the first
// instances in the node record with room serve every request, each
// request's instances from one group. It knows the sharing rules but
// prefers nothing.
func firstFit(nodes []*api.Node, allocs [][]*api.Allocation, reqs []*api.DeviceRequest) (int, []*api.AllocatedDevice, bool) {
	for i, n := range nodes {
		if devs, ok := firstFitNode(n, allocs[i], reqs); ok {
			return i, devs, true
		}
	}
	return -1, nil, false
}

// ffUse is what first-fit records of one instance.
type ffUse struct {
	mode          string
	n, pct, memMB int
}

// firstFitNode serves reqs on one node, or reports that it cannot.
func firstFitNode(n *api.Node, allocs []*api.Allocation, reqs []*api.DeviceRequest) ([]*api.AllocatedDevice, bool) {
	use := map[string]*ffUse{}
	hold := func(id string, d *api.AllocatedDevice) {
		u := use[id]
		if u == nil {
			u = &ffUse{mode: sharingMode(d.Sharing)}
			use[id] = u
		}
		u.n++
		u.pct += d.MPSComputePercent
		u.memMB += d.MPSMemoryMB
	}
	for _, a := range allocs {
		for _, r := range a.Resources {
			for _, d := range r.Devices {
				for _, id := range d.DeviceIDs {
					hold(id, d)
				}
			}
		}
	}
	var out []*api.AllocatedDevice
	for _, q := range reqs {
		d := firstFitRequest(n, use, q)
		if d == nil {
			return nil, false
		}
		for _, id := range d.DeviceIDs {
			hold(id, d)
		}
		out = append(out, d)
	}
	return out, true
}

// firstFitRequest takes the first Count instances of the first group that
// has that many with room.
func firstFitRequest(n *api.Node, use map[string]*ffUse, q *api.DeviceRequest) *api.AllocatedDevice {
	mode := sharingMode(q.Sharing)
	for _, g := range n.Resources.Devices {
		if (q.MIGProfile == "" && g.Type != "gpu") || (q.MIGProfile != "" && g.Attributes["mig_profile"] != q.MIGProfile) {
			continue
		}
		var picked []string
		for _, in := range g.Instances {
			u := use[in.ID]
			ok := in.Healthy && in.MemoryMB >= q.MinMemoryMB
			switch {
			case !ok:
			case u == nil || u.n == 0:
			case u.mode != mode || mode == api.SharingExclusive:
				ok = false
			case mode == api.SharingMPS:
				ok = u.pct+q.MPSComputePercent <= 100 && u.memMB+q.MPSMemoryMB <= in.MemoryMB
			case mode == api.SharingTimeslice:
				ok = u.n < DefaultTimesliceReplicas
			}
			if ok {
				picked = append(picked, in.ID)
			}
			if len(picked) == q.Count {
				return &api.AllocatedDevice{Vendor: g.Vendor, Type: g.Type, Model: g.Model, DeviceIDs: picked,
					Sharing: mode, MPSComputePercent: q.MPSComputePercent, MPSMemoryMB: q.MPSMemoryMB}
			}
		}
	}
	return nil
}

// BenchmarkAssign_HalfUsed8GPU times one Assign on a node of 8 H100s of
// which 4 are held exclusively and 2 carry MPS shares (a request for 4
// exclusive GPUs is refused there), and on a node of 8 MIG-mode GPUs with
// half their instances held.
func BenchmarkAssign_HalfUsed8GPU(b *testing.B) {
	whole := testNode("n1", gpuGroup(h100, 81559, 8, "GPU", "9.0"))
	wholeAllocs := []*api.Allocation{allocOf("a", exclusive("GPU-0", "GPU-1")), allocOf("b", exclusive("GPU-2")),
		allocOf("c", exclusive("GPU-3")), allocOf("d", mpsShare(30, 8192, "GPU-4")), allocOf("e", mpsShare(50, 8192, "GPU-5"))}
	mig := migNode("n2", modelH100)
	var migAllocs []*api.Allocation
	for _, g := range mig.Resources.Devices {
		for i, in := range g.Instances {
			if i%2 == 0 {
				migAllocs = append(migAllocs, allocOf(in.ID, exclusive(in.ID)))
			}
		}
	}
	cases := []struct {
		name   string
		node   *api.Node
		allocs []*api.Allocation
		req    *api.DeviceRequest
	}{
		{"exclusive", whole, wholeAllocs, &api.DeviceRequest{Name: "nvidia/gpu", Count: 1}},
		{"exclusive_x4_refused", whole, wholeAllocs, &api.DeviceRequest{Name: "nvidia/gpu", Count: 4}},
		{"mps", whole, wholeAllocs, &api.DeviceRequest{Name: "nvidia/gpu", Count: 1, Sharing: api.SharingMPS,
			MPSComputePercent: 20, MPSMemoryMB: 4096}},
		{"mig", mig, migAllocs, &api.DeviceRequest{Name: "nvidia/gpu", Count: 1, MIGProfile: "1g.10gb"}},
		{"constraint_affinity", whole, wholeAllocs, &api.DeviceRequest{Name: "nvidia/gpu", Count: 1,
			Constraints: []*api.Constraint{{LTarget: "${device.attr.compute_capability}", Operand: "version", RTarget: ">= 8.0"}},
			Affinities:  []*api.Affinity{{LTarget: "${device.model}", Operand: "regexp", RTarget: "H100", Weight: 50}}}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			reqs := []*api.DeviceRequest{tc.req}
			b.ReportAllocs()
			for b.Loop() {
				_, _, _ = Assign(tc.node, tc.allocs, reqs)
			}
		})
	}
}

// BenchmarkPlacement_1000Nodes places the synthetic workload's requests
// one after another on a synthetic cluster of 1,000 nodes of 8 GPUs (a
// third in MIG mode), with Assign scoring every node ("packing") against
// the first-fit baseline ("first_fit"). The cluster is emptied, outside
// the timer, after every 3,000 requests (about two thirds full).
func BenchmarkPlacement_1000Nodes(b *testing.B) {
	r := rand.New(rand.NewSource(7))
	nodes := syntheticCluster(r, 1000)
	var stream [][]*api.DeviceRequest
	for range 3000 {
		_, reqs := randomJobRequest(r)
		stream = append(stream, reqs)
	}
	for _, p := range []struct {
		name  string
		place placer
	}{{"packing", packingPlacer}, {"first_fit", firstFit}} {
		b.Run(p.name, func(b *testing.B) {
			allocs := make([][]*api.Allocation, len(nodes))
			placed, k := 0, 0
			for b.Loop() {
				if k == len(stream) {
					b.StopTimer()
					allocs, k = make([][]*api.Allocation, len(nodes)), 0
					b.StartTimer()
				}
				if i, devs, ok := p.place(nodes, allocs, stream[k]); ok {
					allocs[i] = append(allocs[i], placedOn(nodes[i], fmt.Sprint(k), devs))
					placed++
				}
				k++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "placements/s")
			b.ReportMetric(float64(placed)/float64(b.N), "placed_share")
		})
	}
}

// placedOn wraps an assignment in an allocation on node n.
func placedOn(n *api.Node, id string, devs []*api.AllocatedDevice) *api.Allocation {
	a := allocOf(id, devs...)
	a.NodeID = n.ID
	return a
}
