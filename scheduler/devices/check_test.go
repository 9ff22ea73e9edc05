package devices

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func TestCheck_Violations(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 3, "GPU", "8.0"),
		migGroup(a100_40, "3g.20gb", 19968, []string{"GPU-9"}, 2))
	node.Resources.Devices[0].Instances[2].Healthy = false
	node.Resources.Devices[0].Instances[2].HealthDescription = "XID 79: fallen off the bus"
	node.Resources.Devices[0].Instances[1].Attributes = map[string]string{"timeslice_replicas": "2"}
	stopped := allocOf("s", exclusive("GPU-0"))
	stopped.DesiredStatus = api.AllocDesiredStop

	cases := []struct {
		name   string
		allocs []*api.Allocation
		kind   error
		errHas string
	}{
		{name: "no devices", allocs: []*api.Allocation{allocOf("a")}},
		{name: "one holder each", allocs: []*api.Allocation{allocOf("a", exclusive("GPU-0")),
			allocOf("b", exclusive("GPU-9/3g.20gb/0")), allocOf("c", exclusive("GPU-9/3g.20gb/1"))}},
		{name: "double exclusive", allocs: []*api.Allocation{allocOf("a", exclusive("GPU-0")), allocOf("b", exclusive("GPU-0"))},
			kind: ErrDeviceConflict, errHas: `device "GPU-0" is held exclusively by 2 holders: alloc "a" task "main" (exclusive), alloc "b" task "main" (exclusive)`},
		{name: "one device listed twice", allocs: []*api.Allocation{allocOf("a", exclusive("GPU-0", "GPU-0"))},
			kind: ErrDeviceConflict, errHas: "held exclusively by 2 holders"},
		{name: "stopped allocation does not count", allocs: []*api.Allocation{stopped, allocOf("b", exclusive("GPU-0"))}},
		{name: "same allocation twice counts once", allocs: []*api.Allocation{allocOf("a", exclusive("GPU-0")), allocOf("a", exclusive("GPU-0"))}},
		{name: "mps up to 100 percent", allocs: []*api.Allocation{allocOf("a", mpsShare(60, 20000, "GPU-0")),
			allocOf("b", mpsShare(40, 20960, "GPU-0"))}},
		{name: "mps overfill of compute", allocs: []*api.Allocation{allocOf("a", mpsShare(60, 1, "GPU-0")),
			allocOf("b", mpsShare(41, 1, "GPU-0"))},
			kind: ErrDeviceConflict, errHas: `device "GPU-0" is over its mps capacity: 101% of compute and 2 of 40960 MB`},
		{name: "mps overfill of memory", allocs: []*api.Allocation{allocOf("a", mpsShare(10, 30000, "GPU-0")),
			allocOf("b", mpsShare(10, 10961, "GPU-0"))},
			kind: ErrDeviceConflict, errHas: "20% of compute and 40961 of 40960 MB"},
		{name: "timeslice up to the replicas", allocs: []*api.Allocation{allocOf("a", timeslice("GPU-1")), allocOf("b", timeslice("GPU-1"))}},
		{name: "timeslice overfill", allocs: []*api.Allocation{allocOf("a", timeslice("GPU-1")), allocOf("b", timeslice("GPU-1")),
			allocOf("c", timeslice("GPU-1"))},
			kind: ErrDeviceConflict, errHas: `device "GPU-1" has 3 timeslice holders but takes 2`},
		{name: "mixed modes", allocs: []*api.Allocation{allocOf("a", timeslice("GPU-0")), allocOf("b", mpsShare(10, 1, "GPU-0"))},
			kind: ErrDeviceConflict, errHas: `device "GPU-0" mixes sharing modes: alloc "a" task "main" (timeslice), alloc "b" task "main" (mps)`},
		{name: "missing device", allocs: []*api.Allocation{allocOf("a", exclusive("GPU-7"))},
			kind: ErrUnknownDevice, errHas: `alloc "a" task "main": device "GPU-7" is not on node "n1"`},
		{name: "unhealthy device", allocs: []*api.Allocation{allocOf("a", exclusive("GPU-2"))},
			kind: ErrUnhealthyDevice, errHas: `device "GPU-2" is unhealthy (XID 79: fallen off the bus)`},
		{name: "other node", allocs: []*api.Allocation{func() *api.Allocation {
			a := allocOf("a", exclusive("GPU-0"))
			a.NodeID = "n2"
			return a
		}()}, kind: ErrUnknownDevice, errHas: `allocation is for node "n2", not "n1"`},
		{name: "unknown sharing", allocs: []*api.Allocation{allocOf("a", &api.AllocatedDevice{DeviceIDs: []string{"GPU-0"}, Sharing: "vgpu"})},
			kind: ErrInvalidHolding, errHas: `sharing mode "vgpu" on device "GPU-0" is not known`},
		{name: "mps share out of range", allocs: []*api.Allocation{allocOf("a", mpsShare(0, 1, "GPU-0"))},
			kind: ErrInvalidHolding, errHas: "mps share of 0% and 1 MB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(node, tc.allocs)
			if tc.kind == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.kind)
			assert.Contains(t, err.Error(), tc.errHas)
		})
	}
}

func TestCheck_ReportsEveryProblem(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 2, "GPU", "8.0"))
	err := Check(node, []*api.Allocation{allocOf("a", exclusive("GPU-0", "GPU-5")), allocOf("b", exclusive("GPU-0"))})
	assert.ErrorIs(t, err, ErrUnknownDevice)
	assert.ErrorIs(t, err, ErrDeviceConflict)
}

func TestCheckPlan_ReportsOnlyProposed(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 3, "GPU", "8.0"))
	node.Resources.Devices[0].Instances[0].Healthy = false
	// The existing allocation sits on a GPU that has since failed, and on
	// one the node no longer lists.
	existing := []*api.Allocation{allocOf("old", exclusive("GPU-0", "GPU-8")), allocOf("mid", exclusive("GPU-1"))}

	cases := []struct {
		name     string
		proposed []*api.Allocation
		kind     error
	}{
		{name: "new work on a healthy free GPU", proposed: []*api.Allocation{allocOf("new", exclusive("GPU-2"))}},
		{name: "new work on a held GPU", proposed: []*api.Allocation{allocOf("new", exclusive("GPU-1"))}, kind: ErrDeviceConflict},
		{name: "new work on the failed GPU", proposed: []*api.Allocation{allocOf("new", exclusive("GPU-0"))}, kind: ErrUnhealthyDevice},
		{name: "in-place update replaces the existing holder", proposed: []*api.Allocation{allocOf("mid", exclusive("GPU-1"))}},
		{name: "update moving to a held GPU", proposed: []*api.Allocation{allocOf("mid", exclusive("GPU-2")), allocOf("new", exclusive("GPU-2"))},
			kind: ErrDeviceConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPlan(node, existing, tc.proposed)
			if tc.kind == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.kind)
		})
	}
	assert.Error(t, Check(node, existing), "Check reports the existing allocation's problems")
}

// TestCheck_StaleSnapshotRace plays the classic race: twenty jobs each ask
// for one exclusive GPU of a one-GPU node, each is assigned on the same
// stale snapshot (which shows the GPU free), and the plan applier checks
// them one by one against what it has accepted so far. Exactly one job
// may win.
func TestCheck_StaleSnapshotRace(t *testing.T) {
	modes := []struct {
		name     string
		req      *api.DeviceRequest
		accepted int
	}{
		{"exclusive", &api.DeviceRequest{Name: "nvidia/gpu", Count: 1}, 1},
		{"timeslice", &api.DeviceRequest{Name: "nvidia/gpu", Count: 1, Sharing: api.SharingTimeslice}, DefaultTimesliceReplicas},
		{"mps", &api.DeviceRequest{Name: "nvidia/gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: 30, MPSMemoryMB: 1024}, 3},
	}
	node := testNode("n1", gpuGroup(h100, 81559, 1, "GPU", "9.0"))
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var snapshot []*api.Allocation // stale: nothing placed yet
			var accepted []*api.Allocation
			for i := range 20 {
				devs, _, err := Assign(node, snapshot, []*api.DeviceRequest{m.req})
				require.NoError(t, err, "job %d sees the GPU free on the stale snapshot", i)
				alloc := placed(fmt.Sprintf("job-%02d", i), devs)
				if Check(node, append(append([]*api.Allocation(nil), accepted...), alloc)) == nil {
					accepted = append(accepted, alloc)
				}
			}
			assert.Len(t, accepted, m.accepted)
			assert.Equal(t, "job-00", accepted[0].ID)
		})
	}
}

func TestUsage_ListsHolders(t *testing.T) {
	node := testNode("n1", gpuGroup(a100_40, 40960, 2, "GPU", "8.0"))
	two := allocOf("b", mpsShare(30, 2048, "GPU-1"))
	two.Resources["side"] = &api.AllocatedResources{Devices: []*api.AllocatedDevice{mpsShare(10, 512, "GPU-1")}}
	done := allocOf("c", exclusive("GPU-0"))
	done.ClientStatus = api.AllocClientFailed
	elsewhere := allocOf("d", exclusive("GPU-0"))
	elsewhere.NodeID = "n9"

	cases := []struct {
		name   string
		allocs []*api.Allocation
		want   map[string][]*api.GPUUse
	}{
		{name: "nothing held", want: map[string][]*api.GPUUse{}},
		{name: "exclusive and mps holders sorted by allocation and task",
			allocs: []*api.Allocation{two, allocOf("a", mpsShare(20, 1024, "GPU-1")), allocOf("e", exclusive("GPU-0"))},
			want: map[string][]*api.GPUUse{
				"GPU-0": {{AllocID: "e", JobID: "job-e", Task: "main", Sharing: api.SharingExclusive}},
				"GPU-1": {
					{AllocID: "a", JobID: "job-a", Task: "main", Sharing: api.SharingMPS, MPSComputePercent: 20, MPSMemoryMB: 1024},
					{AllocID: "b", JobID: "job-b", Task: "main", Sharing: api.SharingMPS, MPSComputePercent: 30, MPSMemoryMB: 2048},
					{AllocID: "b", JobID: "job-b", Task: "side", Sharing: api.SharingMPS, MPSComputePercent: 10, MPSMemoryMB: 512},
				},
			}},
		{name: "terminal and other nodes' allocations skipped, unknown devices kept",
			allocs: []*api.Allocation{done, elsewhere, allocOf("f", timeslice("GPU-x"))},
			want: map[string][]*api.GPUUse{
				"GPU-x": {{AllocID: "f", JobID: "job-f", Task: "main", Sharing: api.SharingTimeslice}},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Usage(node, tc.allocs))
		})
	}
}
