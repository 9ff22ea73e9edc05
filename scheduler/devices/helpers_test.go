package devices

import (
	"fmt"

	"github.com/constellation-sched/constellation/api"
)

// Models used by the tests, with the memory their node records report.
const (
	a100_40 = "NVIDIA A100-SXM4-40GB"
	a100_80 = "NVIDIA A100-SXM4-80GB"
	h100    = "NVIDIA H100 80GB HBM3"
)

// gpuGroup returns a group of n whole GPUs named prefix-0 .. prefix-(n-1).
func gpuGroup(model string, memMB, n int, prefix, cc string) *api.DeviceGroup {
	g := &api.DeviceGroup{
		Vendor: "nvidia", Type: "gpu", Model: model,
		Attributes: map[string]string{"memory_mb": fmt.Sprint(memMB), "compute_capability": cc},
	}
	for i := range n {
		g.Instances = append(g.Instances, &api.DeviceInstance{
			ID: fmt.Sprintf("%s-%d", prefix, i), MemoryMB: memMB, Healthy: true,
			PCIBusID: fmt.Sprintf("0000:%02x:00.0", i),
		})
	}
	return g
}

// migGroup returns the MIG group of one profile, with perParent instances
// on each parent GPU, named <parent>/<profile>/<i>.
func migGroup(model, profile string, memMB int, parents []string, perParent int) *api.DeviceGroup {
	g := &api.DeviceGroup{
		Vendor: "nvidia", Type: "mig", Model: model + " " + profile,
		Attributes: map[string]string{"memory_mb": fmt.Sprint(memMB), "mig_profile": profile, "compute_capability": "8.0"},
	}
	for _, p := range parents {
		for i := range perParent {
			g.Instances = append(g.Instances, &api.DeviceInstance{
				ID: fmt.Sprintf("%s/%s/%d", p, profile, i), ParentID: p,
				MIGProfile: profile, MemoryMB: memMB, Healthy: true,
			})
		}
	}
	return g
}

// testNode returns a ready node with the given device groups.
func testNode(id string, groups ...*api.DeviceGroup) *api.Node {
	return &api.Node{
		ID: id, Status: api.NodeStatusReady,
		Resources: &api.NodeResources{CPU: 64000, MemoryMB: 512 << 10, Devices: groups},
	}
}

// allocOf returns a running allocation whose task "main" holds devs.
func allocOf(id string, devs ...*api.AllocatedDevice) *api.Allocation {
	return &api.Allocation{
		ID: id, JobID: "job-" + id, DesiredStatus: api.AllocDesiredRun, ClientStatus: api.AllocClientRunning,
		Resources: map[string]*api.AllocatedResources{"main": {CPU: 100, MemoryMB: 128, Devices: devs}},
	}
}

// exclusive holds ids exclusively.
func exclusive(ids ...string) *api.AllocatedDevice {
	return &api.AllocatedDevice{Vendor: "nvidia", Type: "gpu", DeviceIDs: ids, Sharing: api.SharingExclusive}
}

// mpsShare holds ids with an MPS share.
func mpsShare(percent, memMB int, ids ...string) *api.AllocatedDevice {
	return &api.AllocatedDevice{
		Vendor: "nvidia", Type: "gpu", DeviceIDs: ids, Sharing: api.SharingMPS,
		MPSComputePercent: percent, MPSMemoryMB: memMB,
	}
}

// timeslice holds ids in timeslice mode.
func timeslice(ids ...string) *api.AllocatedDevice {
	return &api.AllocatedDevice{Vendor: "nvidia", Type: "gpu", DeviceIDs: ids, Sharing: api.SharingTimeslice}
}

// ids returns the device IDs of an assignment, request by request.
func ids(devs []*api.AllocatedDevice) [][]string {
	out := make([][]string, len(devs))
	for i, d := range devs {
		out[i] = d.DeviceIDs
	}
	return out
}

// placed wraps an assignment in an allocation, as a plan would hold it.
func placed(id string, devs []*api.AllocatedDevice) *api.Allocation {
	return allocOf(id, devs...)
}
