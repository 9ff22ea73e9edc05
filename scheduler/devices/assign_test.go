package devices

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// assignCase is one Assign call and what it must give.
type assignCase struct {
	name     string
	node     *api.Node
	existing []*api.Allocation
	reqs     []*api.DeviceRequest
	// want is the device IDs per request; nil when an error is expected.
	want [][]string
	// errHas are substrings the error message must hold.
	errHas []string
}

// runAssignCases runs a table of Assign cases.
func runAssignCases(t *testing.T, cases []assignCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, score, err := Assign(tc.node, tc.existing, tc.reqs)
			if tc.errHas != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrNoFit)
				for _, s := range tc.errHas {
					assert.Contains(t, err.Error(), s)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, ids(got))
			assert.GreaterOrEqual(t, score, 0.0)
			assert.LessOrEqual(t, score, 1.0)
			// Whatever Assign hands out must pass Check beside what was
			// already there.
			assert.NoError(t, Check(tc.node, append(tc.existing, placed("new", got))))
		})
	}
}

func TestAssign_Exclusive(t *testing.T) {
	eight := testNode("n1", gpuGroup(a100_40, 40960, 8, "GPU", "8.0"))
	mixed := testNode("n2", gpuGroup(a100_40, 40960, 2, "A", "8.0"), gpuGroup(h100, 81559, 2, "H", "9.0"))
	allBusy := []*api.Allocation{allocOf("a1", exclusive("GPU-0", "GPU-1", "GPU-2", "GPU-3")),
		allocOf("a2", exclusive("GPU-4", "GPU-5", "GPU-6", "GPU-7"))}
	runAssignCases(t, []assignCase{
		{name: "free node gives the first GPU", node: eight,
			reqs: []*api.DeviceRequest{{Name: "nvidia/gpu", Count: 1}}, want: [][]string{{"GPU-0"}}},
		{name: "held GPUs are skipped", node: eight,
			existing: []*api.Allocation{allocOf("a1", exclusive("GPU-0", "GPU-1", "GPU-2"))},
			reqs:     []*api.DeviceRequest{{Name: "gpu", Count: 2}}, want: [][]string{{"GPU-3", "GPU-4"}}},
		{name: "two requests of one task get different GPUs", node: eight,
			existing: []*api.Allocation{allocOf("a1", exclusive("GPU-0"))},
			reqs:     []*api.DeviceRequest{{Name: "gpu", Count: 1}, {Name: "nvidia/gpu", Count: 1}},
			want:     [][]string{{"GPU-1"}, {"GPU-2"}}},
		{name: "terminal allocations free their GPUs", node: eight,
			existing: []*api.Allocation{func() *api.Allocation {
				a := allocOf("a1", exclusive("GPU-0"))
				a.ClientStatus = api.AllocClientComplete
				return a
			}()},
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1}}, want: [][]string{{"GPU-0"}}},
		{name: "all in use", node: eight, existing: allBusy,
			reqs:   []*api.DeviceRequest{{Name: "nvidia/gpu", Count: 1, MinMemoryMB: 40000}},
			errHas: []string{"not enough nvidia/gpu with at least 40000 MB for exclusive use (need 1)", "of 8 matching instances, 8 held exclusively"}},
		{name: "too few free", node: eight, existing: allBusy[:1],
			reqs:   []*api.DeviceRequest{{Name: "gpu", Count: 5}},
			errHas: []string{"(need 5)", "4 held exclusively, 4 free"}},
		{name: "too small", node: eight,
			reqs:   []*api.DeviceRequest{{Name: "gpu", Count: 1, MinMemoryMB: 80000}},
			errHas: []string{"8 with less than 80000 MB"}},
		{name: "model in the name", node: mixed,
			reqs: []*api.DeviceRequest{{Name: "nvidia/gpu/H100 80GB HBM3", Count: 1}}, want: [][]string{{"H-0"}}},
		{name: "model pattern", node: mixed,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 2, Model: "H100"}}, want: [][]string{{"H-0", "H-1"}}},
		{name: "vendor pattern rules out every group", node: mixed,
			reqs:   []*api.DeviceRequest{{Name: "gpu", Count: 1, Vendor: "^amd$"}},
			errHas: []string{"no device matches gpu vendor ~ \"^amd$\"", "nvidia/gpu \"NVIDIA A100-SXM4-40GB\" x2"}},
		{name: "compute capability", node: mixed,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1, MinComputeCapability: "8.9"}}, want: [][]string{{"H-0"}}},
		{name: "compute capability too high", node: mixed,
			reqs:   []*api.DeviceRequest{{Name: "gpu", Count: 1, MinComputeCapability: "10.0"}},
			errHas: []string{"4 below compute capability 10.0"}},
		{name: "one model per request", node: mixed,
			existing: []*api.Allocation{allocOf("a1", exclusive("A-0", "H-0"))},
			reqs:     []*api.DeviceRequest{{Name: "gpu", Count: 2}},
			errHas:   []string{"2 free but at most 1 of one model"}},
		{name: "other vendor's type", node: mixed,
			reqs:   []*api.DeviceRequest{{Name: "amd/gpu", Count: 1}},
			errHas: []string{"no device matches amd/gpu"}},
	})
}

func TestAssign_SkipsUnhealthy(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 3, "GPU", "8.0"))
	node.Resources.Devices[0].Instances[0].Healthy = false
	node.Resources.Devices[0].Instances[2].Healthy = false
	runAssignCases(t, []assignCase{
		{name: "the healthy one", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1}}, want: [][]string{{"GPU-1"}}},
		{name: "unhealthy ones count in the error", node: node,
			reqs:   []*api.DeviceRequest{{Name: "gpu", Count: 2}},
			errHas: []string{"2 unhealthy, 1 free"}},
		{name: "unhealthy shared GPU", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1, Sharing: api.SharingTimeslice}}, want: [][]string{{"GPU-1"}}},
	})
}

func TestAssign_MIGProfile(t *testing.T) {
	parents := []string{"GPU-0", "GPU-1"}
	node := testNode("n1",
		gpuGroup(a100_40, 40960, 2, "W", "8.0"),
		migGroup(a100_40, "1g.5gb", 4864, parents, 3),
		migGroup(a100_40, "2g.10gb", 9728, parents, 2),
	)
	runAssignCases(t, []assignCase{
		{name: "profile picks its group", node: node,
			reqs: []*api.DeviceRequest{{Name: "nvidia/gpu", Count: 1, MIGProfile: "2g.10gb"}},
			want: [][]string{{"GPU-0/2g.10gb/0"}}},
		{name: "model and profile", node: node,
			reqs: []*api.DeviceRequest{{Name: "nvidia/gpu/A100-SXM4-40GB", Count: 2, MIGProfile: "1g.5gb"}},
			want: [][]string{{"GPU-0/1g.5gb/0", "GPU-0/1g.5gb/1"}}},
		{name: "whole GPU requests never take MIG instances", node: node,
			existing: []*api.Allocation{allocOf("a1", exclusive("W-0", "W-1"))},
			reqs:     []*api.DeviceRequest{{Name: "gpu", Count: 1}},
			errHas:   []string{"of 2 matching instances, 2 held exclusively"}},
		{name: "profile the node lacks", node: node,
			reqs:   []*api.DeviceRequest{{Name: "gpu", Count: 1, MIGProfile: "3g.20gb"}},
			errHas: []string{"no device matches gpu MIG 3g.20gb"}},
		{name: "profile exhausted", node: node,
			existing: []*api.Allocation{allocOf("a1", exclusive("GPU-0/2g.10gb/0", "GPU-0/2g.10gb/1", "GPU-1/2g.10gb/0"))},
			reqs:     []*api.DeviceRequest{{Name: "gpu", Count: 2, MIGProfile: "2g.10gb"}},
			errHas:   []string{"3 held exclusively, 1 free"}},
	})
}

func TestAssign_MPSShares(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 1, "GPU", "8.0"))
	share := func(p, m int) []*api.DeviceRequest {
		return []*api.DeviceRequest{{Name: "gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: p, MPSMemoryMB: m}}
	}
	held := func(ps ...int) []*api.Allocation {
		var out []*api.Allocation
		for i, p := range ps {
			out = append(out, allocOf(string(rune('a'+i)), mpsShare(p, 8192, "GPU-0")))
		}
		return out
	}
	runAssignCases(t, []assignCase{
		{name: "first share", node: node, reqs: share(30, 8192), want: [][]string{{"GPU-0"}}},
		{name: "up to exactly 100 percent", node: node, existing: held(30, 30, 30), reqs: share(10, 8192),
			want: [][]string{{"GPU-0"}}},
		{name: "past 100 percent", node: node, existing: held(30, 30, 30), reqs: share(11, 1),
			errHas: []string{"for an mps share of 11% and 1 MB", "1 shared with no room left"}},
		{name: "past the memory", node: node, existing: held(10, 10, 10, 10), reqs: share(10, 8193),
			errHas: []string{"1 shared with no room left"}},
		{name: "share larger than the GPU", node: node, reqs: share(10, 50000),
			errHas: []string{"1 with less than 50000 MB"}},
		{name: "not beside an exclusive holder", node: node,
			existing: []*api.Allocation{allocOf("x", exclusive("GPU-0"))}, reqs: share(10, 1),
			errHas: []string{"1 held exclusively"}},
		{name: "not beside timeslice holders", node: node,
			existing: []*api.Allocation{allocOf("x", timeslice("GPU-0"))}, reqs: share(10, 1),
			errHas: []string{"1 shared in another mode"}},
	})

	t.Run("shares accumulate across calls until the GPU is full", func(t *testing.T) {
		var allocs []*api.Allocation
		for i := range 10 {
			got, _, err := Assign(node, allocs, share(10, 4096))
			require.NoError(t, err, "share %d", i)
			assert.Equal(t, 10, got[0].MPSComputePercent)
			allocs = append(allocs, placed(string(rune('a'+i)), got))
		}
		_, _, err := Assign(node, allocs, share(1, 0))
		assert.ErrorIs(t, err, ErrNoFit)
		assert.NoError(t, Check(node, allocs))
	})

	t.Run("amd GPUs have no mps", func(t *testing.T) {
		g := gpuGroup("Instinct MI300X", 196608, 1, "AMD", "")
		g.Vendor = "amd"
		_, _, err := Assign(testNode("n2", g), nil, share(10, 1))
		require.ErrorIs(t, err, ErrNoFit)
		assert.Contains(t, err.Error(), "1 not from nvidia, which mps needs")
	})
}

func TestAssign_TimesliceReplicas(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 2, "GPU", "8.0"))
	two := testNode("n2", gpuGroup(a100_40, 40960, 1, "GPU", "8.0"))
	two.Resources.Devices[0].Instances[0].Attributes = map[string]string{"timeslice_replicas": "2"}
	ts := []*api.DeviceRequest{{Name: "gpu", Count: 1, Sharing: api.SharingTimeslice}}
	holders := func(n int, id string) []*api.Allocation {
		var out []*api.Allocation
		for i := range n {
			out = append(out, allocOf(string(rune('a'+i)), timeslice(id)))
		}
		return out
	}
	runAssignCases(t, []assignCase{
		{name: "joins the GPU already sliced", node: node, existing: holders(3, "GPU-1"), reqs: ts,
			want: [][]string{{"GPU-1"}}},
		{name: "default of four replicas", node: node, existing: holders(4, "GPU-0"), reqs: ts,
			want: [][]string{{"GPU-1"}}},
		{name: "attribute limits replicas", node: two, existing: holders(2, "GPU-0"), reqs: ts,
			errHas: []string{"1 shared with no room left"}},
		{name: "attribute allows replicas", node: two, existing: holders(1, "GPU-0"), reqs: ts,
			want: [][]string{{"GPU-0"}}},
		{name: "not beside mps holders", node: two,
			existing: []*api.Allocation{allocOf("m", mpsShare(10, 10, "GPU-0"))}, reqs: ts,
			errHas: []string{"1 shared in another mode"}},
		{name: "exclusive not beside timeslice", node: two, existing: holders(1, "GPU-0"),
			reqs:   []*api.DeviceRequest{{Name: "gpu", Count: 1}},
			errHas: []string{"1 shared in another mode"}},
	})
}

func TestAssign_ConstraintsAndAffinities(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 2, "A", "8.0"), gpuGroup(h100, 81559, 2, "H", "9.0"))
	node.Resources.Devices[0].Instances[1].Attributes = map[string]string{"nvlink": "true"}
	c := func(l, op, r string) []*api.Constraint {
		return []*api.Constraint{{LTarget: l, Operand: op, RTarget: r}}
	}
	runAssignCases(t, []assignCase{
		{name: "memory attribute", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1, Constraints: c("${device.attr.memory_mb}", ">=", "80000")}},
			want: [][]string{{"H-0"}}},
		{name: "model regexp", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1, Constraints: c("${device.model}", "regexp", "H100")}},
			want: [][]string{{"H-0"}}},
		{name: "version of the compute capability", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1,
				Constraints: c("${device.attr.compute_capability}", "version", "~> 8.0")}},
			want: [][]string{{"A-0"}}},
		{name: "instance attribute", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1, Constraints: c("${device.attr.nvlink}", "=", "true")}},
			want: [][]string{{"A-1"}}},
		{name: "vendor not equal", node: node,
			reqs:   []*api.DeviceRequest{{Name: "gpu", Count: 1, Constraints: c("${device.vendor}", "!=", "nvidia")}},
			errHas: []string{"4 failing the device constraints"}},
		{name: "affinity draws to the H100", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1,
				Affinities: []*api.Affinity{{LTarget: "${device.model}", Operand: "regexp", RTarget: "H100", Weight: 50}}}},
			want: [][]string{{"H-0"}}},
		{name: "negative affinity keeps off the A100", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1,
				Affinities: []*api.Affinity{{LTarget: "${device.attr.compute_capability}", Operand: "<", RTarget: "9.0", Weight: -80}}}},
			want: [][]string{{"H-0"}}},
		{name: "affinity on an instance attribute", node: node,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1,
				Affinities: []*api.Affinity{{LTarget: "${device.attr.nvlink}", Operand: "is_set", Weight: 10}}}},
			want: [][]string{{"A-1"}}},
	})

	t.Run("matching affinity raises the score", func(t *testing.T) {
		aff := func(w int) []*api.DeviceRequest {
			return []*api.DeviceRequest{{Name: "gpu", Count: 1, Model: "H100",
				Affinities: []*api.Affinity{{LTarget: "${device.model}", Operand: "regexp", RTarget: "H100", Weight: w}}}}
		}
		_, up, err := Assign(node, nil, aff(100))
		require.NoError(t, err)
		_, down, err := Assign(node, nil, aff(-100))
		require.NoError(t, err)
		assert.Greater(t, up, down)
	})
}

func TestAssign_PacksPartlyUsed(t *testing.T) {
	parents := []string{"GPU-0", "GPU-1", "GPU-2"}
	migNode := testNode("m", migGroup(a100_80, "1g.10gb", 9856, parents, 7))
	gpus := testNode("g", gpuGroup(a100_40, 40960, 4, "GPU", "8.0"))
	sizes := testNode("s", gpuGroup(h100, 81559, 2, "H", "9.0"), gpuGroup(a100_40, 40960, 2, "A", "8.0"))
	runAssignCases(t, []assignCase{
		{name: "mps joins the partly used GPU", node: gpus,
			existing: []*api.Allocation{allocOf("a", mpsShare(20, 4096, "GPU-2"))},
			reqs:     []*api.DeviceRequest{{Name: "gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: 30, MPSMemoryMB: 4096}},
			want:     [][]string{{"GPU-2"}}},
		{name: "mps joins the fullest GPU that has room", node: gpus,
			existing: []*api.Allocation{allocOf("a", mpsShare(20, 4096, "GPU-1")), allocOf("b", mpsShare(60, 4096, "GPU-3")),
				allocOf("c", mpsShare(90, 4096, "GPU-0"))},
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: 30, MPSMemoryMB: 4096}},
			want: [][]string{{"GPU-3"}}},
		{name: "timeslice joins the partly used GPU", node: gpus,
			existing: []*api.Allocation{allocOf("a", timeslice("GPU-3"))},
			reqs:     []*api.DeviceRequest{{Name: "gpu", Count: 1, Sharing: api.SharingTimeslice}},
			want:     [][]string{{"GPU-3"}}},
		{name: "MIG takes a sibling on the partly used GPU", node: migNode,
			existing: []*api.Allocation{allocOf("a", exclusive("GPU-2/1g.10gb/3"))},
			reqs:     []*api.DeviceRequest{{Name: "gpu", Count: 2, MIGProfile: "1g.10gb"}},
			want:     [][]string{{"GPU-2/1g.10gb/0", "GPU-2/1g.10gb/1"}}},
		{name: "MIG fills the fuller layout first", node: migNode,
			existing: []*api.Allocation{allocOf("a", exclusive("GPU-0/1g.10gb/0")),
				allocOf("b", exclusive("GPU-1/1g.10gb/0", "GPU-1/1g.10gb/1"))},
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1, MIGProfile: "1g.10gb"}},
			want: [][]string{{"GPU-1/1g.10gb/2"}}},
		{name: "MIG request spanning layouts finishes the started one first", node: migNode,
			existing: []*api.Allocation{allocOf("a", exclusive("GPU-1/1g.10gb/0", "GPU-1/1g.10gb/1", "GPU-1/1g.10gb/2",
				"GPU-1/1g.10gb/3", "GPU-1/1g.10gb/4"))},
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 3, MIGProfile: "1g.10gb"}},
			want: [][]string{{"GPU-1/1g.10gb/5", "GPU-1/1g.10gb/6", "GPU-0/1g.10gb/0"}}},
		{name: "small request takes the small GPU", node: sizes,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1}}, want: [][]string{{"A-0"}}},
		{name: "large request takes the large GPU", node: sizes,
			reqs: []*api.DeviceRequest{{Name: "gpu", Count: 1, MinMemoryMB: 60000}}, want: [][]string{{"H-0"}}},
	})

	t.Run("a partly used node scores above an empty one", func(t *testing.T) {
		cases := []struct {
			name string
			node *api.Node
			busy []*api.Allocation
			req  *api.DeviceRequest
		}{
			{"exclusive", gpus, []*api.Allocation{allocOf("a", exclusive("GPU-0"))}, &api.DeviceRequest{Name: "gpu", Count: 1}},
			{"mps", gpus, []*api.Allocation{allocOf("a", mpsShare(50, 1024, "GPU-0"))},
				&api.DeviceRequest{Name: "gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: 20}},
			{"timeslice", gpus, []*api.Allocation{allocOf("a", timeslice("GPU-0"))},
				&api.DeviceRequest{Name: "gpu", Count: 1, Sharing: api.SharingTimeslice}},
			{"mig", migNode, []*api.Allocation{allocOf("a", exclusive("GPU-0/1g.10gb/0"))},
				&api.DeviceRequest{Name: "gpu", Count: 1, MIGProfile: "1g.10gb"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, empty, err := Assign(tc.node, nil, []*api.DeviceRequest{tc.req})
				require.NoError(t, err)
				_, busy, err := Assign(tc.node, tc.busy, []*api.DeviceRequest{tc.req})
				require.NoError(t, err)
				assert.Greater(t, busy, empty)
			})
		}
	})
}

func TestAssign_Deterministic(t *testing.T) {
	parents := []string{"GPU-0", "GPU-1"}
	node := testNode("n1", gpuGroup(h100, 81559, 4, "H", "9.0"), migGroup(h100, "1g.10gb", 9856, parents, 7))
	existing := []*api.Allocation{allocOf("a", exclusive("H-1")), allocOf("b", mpsShare(40, 2048, "H-2")),
		allocOf("c", exclusive("GPU-1/1g.10gb/4"))}
	reqs := []*api.DeviceRequest{
		{Name: "gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: 10},
		{Name: "gpu", Count: 2, MIGProfile: "1g.10gb"},
		{Name: "nvidia/gpu", Count: 1},
	}
	first, firstScore, err := Assign(node, existing, reqs)
	require.NoError(t, err)
	for range 20 {
		again, score, err := Assign(node, existing, reqs)
		require.NoError(t, err)
		assert.Equal(t, first, again)
		assert.Equal(t, firstScore, score)
	}
	assert.Equal(t, [][]string{{"H-2"}, {"GPU-1/1g.10gb/0", "GPU-1/1g.10gb/1"}, {"H-0"}}, ids(first))
}

func TestAssign_InvalidRequest(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 1, "GPU", "8.0"))
	_, _, err := Assign(node, nil, []*api.DeviceRequest{{Name: "gpu", Count: 1, Sharing: api.SharingMPS}})
	require.ErrorIs(t, err, ErrInvalidRequest)
	assert.Contains(t, err.Error(), `device request "gpu": mps compute percent 0 is out of range: use 1 to 100`)

	devs, score, err := Assign(node, nil, nil)
	assert.NoError(t, err)
	assert.Nil(t, devs)
	assert.Zero(t, score)
}
