package devices

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// scenario is a random node, random allocations on it and a random device
// request, for the property tests.
type scenario struct {
	node   *api.Node
	allocs []*api.Allocation
	req    *api.DeviceRequest
}

// Generate builds a scenario; it implements quick.Generator.
func (scenario) Generate(r *rand.Rand, _ int) reflect.Value {
	sc := scenario{node: randomNode(r)}
	var idsOnNode []string
	for _, g := range sc.node.Resources.Devices {
		for _, in := range g.Instances {
			idsOnNode = append(idsOnNode, in.ID)
		}
	}
	idsOnNode = append(idsOnNode, "GPU-gone")
	for i := range r.Intn(9) {
		devs := make([]*api.AllocatedDevice, 1+r.Intn(2))
		for j := range devs {
			devs[j] = randomHolding(r, idsOnNode)
		}
		a := allocOf(fmt.Sprintf("a%d", i), devs...)
		if r.Intn(8) == 0 {
			a.ClientStatus = api.AllocClientComplete
		}
		if r.Intn(10) == 0 {
			a.ID = "a0" // a second copy of an allocation
		}
		sc.allocs = append(sc.allocs, a)
	}
	sc.req = randomRequest(r)
	return reflect.ValueOf(sc)
}

// randomNode returns a node with up to four whole GPUs and up to two
// MIG-enabled GPUs, some unhealthy, some with few timeslice replicas.
func randomNode(r *rand.Rand) *api.Node {
	var groups []*api.DeviceGroup
	if n := r.Intn(5); n > 0 {
		g := gpuGroup(a100_40, []int{40960, 81920}[r.Intn(2)], n, "GPU", "8.0")
		for _, in := range g.Instances {
			in.Healthy = r.Intn(6) != 0
			if r.Intn(3) == 0 {
				in.Attributes = map[string]string{"timeslice_replicas": fmt.Sprint(1 + r.Intn(3))}
			}
		}
		groups = append(groups, g)
	}
	if n := r.Intn(3); n > 0 {
		parents := []string{"MIG-0", "MIG-1"}[:n]
		groups = append(groups, migGroup(a100_80, "1g.10gb", 9856, parents, 1+r.Intn(3)),
			migGroup(a100_80, "3g.40gb", 39424, parents, 1))
	}
	return testNode("n1", groups...)
}

// randomHolding holds one or two random IDs in a random mode, now and
// then an invalid one.
func randomHolding(r *rand.Rand, ids []string) *api.AllocatedDevice {
	held := []string{ids[r.Intn(len(ids))]}
	if r.Intn(4) == 0 {
		held = append(held, ids[r.Intn(len(ids))])
	}
	switch r.Intn(10) {
	case 0, 1, 2, 3:
		return exclusive(held...)
	case 4, 5, 6:
		return mpsShare(r.Intn(60), r.Intn(30000), held...)
	case 7, 8:
		return timeslice(held...)
	}
	return &api.AllocatedDevice{DeviceIDs: held, Sharing: []string{"", "vgpu"}[r.Intn(2)]}
}

// randomRequest returns a valid request for whole GPUs or MIG instances.
func randomRequest(r *rand.Rand) *api.DeviceRequest {
	req := &api.DeviceRequest{Name: []string{"gpu", "nvidia/gpu"}[r.Intn(2)], Count: 1 + r.Intn(3)}
	if r.Intn(3) == 0 {
		req.MIGProfile = []string{"1g.10gb", "3g.40gb"}[r.Intn(2)]
	}
	if r.Intn(3) == 0 {
		req.MinMemoryMB = r.Intn(60000)
	}
	switch r.Intn(3) {
	case 1:
		req.Sharing, req.MPSComputePercent, req.MPSMemoryMB = api.SharingMPS, 1+r.Intn(60), r.Intn(20000)
	case 2:
		req.Sharing = api.SharingTimeslice
	}
	return req
}

// refUse is what the reference model records of one device.
type refUse struct {
	modes        map[string]bool
	n, pct, memB int
}

// refUses is a plain reading of the holdings of allocs, or false when one
// holding alone is invalid.
func refUses(node *api.Node, allocs []*api.Allocation) (map[string]*refUse, bool) {
	byID := map[string]*api.Allocation{}
	for _, a := range allocs {
		byID[a.ID] = a
	}
	uses := map[string]*refUse{}
	ok := true
	for _, a := range allocs {
		if byID[a.ID] != a || a.Terminal() {
			continue
		}
		for _, res := range a.Resources {
			for _, d := range res.Devices {
				mode := d.Sharing
				if mode == "" {
					mode = api.SharingExclusive
				}
				for _, id := range d.DeviceIDs {
					in, _ := refInstance(node, id)
					switch {
					case in == nil || !in.Healthy:
						ok = false
					case mode != api.SharingExclusive && mode != api.SharingMPS && mode != api.SharingTimeslice:
						ok = false
					case mode == api.SharingMPS && (d.MPSComputePercent < 1 || d.MPSComputePercent > 100):
						ok = false
					}
					u := uses[id]
					if u == nil {
						u = &refUse{modes: map[string]bool{}}
						uses[id] = u
					}
					u.modes[mode] = true
					u.n++
					u.pct += d.MPSComputePercent
					u.memB += d.MPSMemoryMB
				}
			}
		}
	}
	return uses, ok
}

// refInstance finds a device instance and its group by ID.
func refInstance(node *api.Node, id string) (*api.DeviceInstance, *api.DeviceGroup) {
	for _, g := range node.Resources.Devices {
		for _, in := range g.Instances {
			if in.ID == id {
				return in, g
			}
		}
	}
	return nil, nil
}

// refReplicas reads the timeslice replicas of an instance.
func refReplicas(in *api.DeviceInstance) int {
	var n int
	if _, err := fmt.Sscan(in.Attributes["timeslice_replicas"], &n); err == nil && n > 0 {
		return n
	}
	return DefaultTimesliceReplicas
}

// refValid is the reference verdict on a node's allocations.
func refValid(node *api.Node, allocs []*api.Allocation) bool {
	uses, ok := refUses(node, allocs)
	for id, u := range uses {
		in, _ := refInstance(node, id)
		switch {
		case in == nil:
		case len(u.modes) > 1:
			ok = false
		case u.modes[api.SharingExclusive] && u.n > 1:
			ok = false
		case u.modes[api.SharingMPS] && (u.pct > 100 || u.memB > in.MemoryMB):
			ok = false
		case u.modes[api.SharingTimeslice] && u.n > refReplicas(in):
			ok = false
		}
	}
	return ok
}

// refCanTake reports whether one more holder of req fits on the instance.
func refCanTake(in *api.DeviceInstance, u *refUse, req *api.DeviceRequest) bool {
	if u == nil || u.n == 0 {
		return true
	}
	mode := sharingMode(req.Sharing)
	if len(u.modes) != 1 || !u.modes[mode] {
		return false
	}
	switch mode {
	case api.SharingMPS:
		return u.pct+req.MPSComputePercent <= 100 && u.memB+req.MPSMemoryMB <= in.MemoryMB
	case api.SharingTimeslice:
		return u.n < refReplicas(in)
	}
	return false
}

// refFits is the reference verdict on whether a node can serve req: some
// group of the right kind has Count instances that each could take it.
func refFits(node *api.Node, allocs []*api.Allocation, req *api.DeviceRequest) bool {
	uses, _ := refUses(node, allocs)
	for _, g := range node.Resources.Devices {
		if (req.MIGProfile == "") != (g.Type == "gpu") {
			continue
		}
		n := 0
		for _, in := range g.Instances {
			if req.MIGProfile != "" && in.MIGProfile != req.MIGProfile {
				continue
			}
			if in.Healthy && in.MemoryMB >= req.MinMemoryMB && req.MPSMemoryMB <= in.MemoryMB &&
				refCanTake(in, uses[in.ID], req) {
				n++
			}
		}
		if n >= req.Count {
			return true
		}
	}
	return false
}

func TestCheck_MatchesReference(t *testing.T) {
	prop := func(sc scenario) bool {
		err := Check(sc.node, sc.allocs)
		return (err == nil) == refValid(sc.node, sc.allocs)
	}
	require.NoError(t, quick.Check(prop, &quick.Config{MaxCount: 3000, Rand: rand.New(rand.NewSource(1))}))
}

func TestAssign_MatchesReferenceAndPassesCheck(t *testing.T) {
	var fitted, refused int
	prop := func(sc scenario) bool {
		devs, score, err := Assign(sc.node, sc.allocs, []*api.DeviceRequest{sc.req})
		want := refFits(sc.node, sc.allocs, sc.req)
		if err != nil {
			refused++
			return !want && errors.Is(err, ErrNoFit) && !strings.Contains(err.Error(), "%!")
		}
		fitted++
		fresh := placed("new", devs)
		return want && score >= 0 && score <= 1 && len(devs[0].DeviceIDs) == sc.req.Count &&
			CheckPlan(sc.node, sc.allocs, []*api.Allocation{fresh}) == nil
	}
	require.NoError(t, quick.Check(prop, &quick.Config{MaxCount: 3000, Rand: rand.New(rand.NewSource(2))}))
	// The generator must exercise both outcomes for the property to mean
	// anything.
	assert.Greater(t, fitted, 300)
	assert.Greater(t, refused, 300)
}

// GoString shows a scenario in a failure message.
func (sc scenario) GoString() string {
	var b strings.Builder
	for _, g := range sc.node.Resources.Devices {
		for _, in := range g.Instances {
			fmt.Fprintf(&b, "\n  %s %s mem=%d healthy=%v attrs=%v", g.Type, in.ID, in.MemoryMB, in.Healthy, in.Attributes)
		}
	}
	for _, a := range sc.allocs {
		fmt.Fprintf(&b, "\n  alloc %s terminal=%v:", a.ID, a.Terminal())
		for _, d := range a.Resources["main"].Devices {
			fmt.Fprintf(&b, " %v/%q/%d%%/%dMB", d.DeviceIDs, d.Sharing, d.MPSComputePercent, d.MPSMemoryMB)
		}
	}
	fmt.Fprintf(&b, "\n  request %+v", *sc.req)
	return b.String()
}
