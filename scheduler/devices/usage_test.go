package devices

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/constellation-sched/constellation/api"
)

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
