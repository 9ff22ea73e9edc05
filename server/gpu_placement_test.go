package server

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// envScript prints the task's environment and then keeps running, so that
// the servers keep counting its devices as used.
const envScript = "env; exec sleep 600"

// instancesOf maps the device instances a client reports, by ID, to their
// group.
func instancesOf(tc *testClient) map[string]*api.DeviceGroup {
	out := map[string]*api.DeviceGroup{}
	for _, g := range tc.agent.Node().Resources.Devices {
		for _, in := range g.Instances {
			out[in.ID] = g
		}
	}
	return out
}

// onlyDevice returns the single device an allocation's task holds.
func onlyDevice(t *testing.T, alloc *api.Allocation) *api.AllocatedDevice {
	t.Helper()
	res := alloc.Resources["t"]
	require.NotNil(t, res, "allocation %s has no resources for task t", alloc.ID)
	require.Len(t, res.Devices, 1)
	require.Len(t, res.Devices[0].DeviceIDs, 1)
	return res.Devices[0]
}

// TestGPUCluster_Placement runs real client agents with mock NVIDIA
// servers (a DGX A100 and a DGX H100 with MIG) against a real server
// cluster, and checks that whole-GPU, MIG and MPS requests get exact
// device instances that the gpu driver hands to the task's process.
func TestGPUCluster_Placement(t *testing.T) {
	servers := startCluster(t, 3)
	c := waitLeader(t, servers).client
	a100 := startClient(t, servers, clientOptions{name: "a100", mock: "dgxa100"})
	h100 := startClient(t, servers, clientOptions{name: "h100", mock: "dgxh100-mig"})
	waitNodeReady(t, c, a100)
	waitNodeReady(t, c, h100)
	a100Devs, h100Devs := instancesOf(a100), instancesOf(h100)

	t.Run("exclusive whole GPU", func(t *testing.T) {
		registerJob(t, c, gpuJob("whole", api.JobTypeService,
			&api.DeviceRequest{Name: "nvidia/gpu", Count: 1, Model: "A100"}, envScript))
		alloc := waitAlloc(t, c, "whole", clientStatus(api.AllocClientRunning))
		dev := onlyDevice(t, alloc)
		id := dev.DeviceIDs[0]

		assert.Equal(t, a100.agent.NodeID(), alloc.NodeID)
		require.Contains(t, a100Devs, id)
		assert.Equal(t, "gpu", a100Devs[id].Type)
		assert.Equal(t, "gpu", dev.Type)
		assert.NotEqual(t, api.SharingMPS, dev.Sharing)

		st := gpuStatus(t, c, id)
		require.Len(t, st.Allocations, 1)
		assert.Equal(t, alloc.ID, st.Allocations[0].AllocID)
		assert.True(t, st.Mocked)

		env := taskEnv(t, c, alloc.ID)
		assert.Equal(t, id, env["CUDA_VISIBLE_DEVICES"])
		assert.Equal(t, id, env["NVIDIA_VISIBLE_DEVICES"])
		assert.NotContains(t, env, "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE")
	})

	t.Run("MIG profile", func(t *testing.T) {
		var profile string
		for _, g := range h100Devs {
			if g.Type == "mig" {
				profile = g.Instances[0].MIGProfile
				break
			}
		}
		require.NotEmpty(t, profile, "the MIG mock reports no MIG instance")
		registerJob(t, c, gpuJob("mig", api.JobTypeService,
			&api.DeviceRequest{Name: "gpu", Count: 1, MIGProfile: profile}, envScript))
		alloc := waitAlloc(t, c, "mig", clientStatus(api.AllocClientRunning))
		id := onlyDevice(t, alloc).DeviceIDs[0]

		assert.Equal(t, h100.agent.NodeID(), alloc.NodeID)
		require.Contains(t, h100Devs, id)
		assert.Equal(t, "mig", h100Devs[id].Type)
		st := gpuStatus(t, c, id)
		assert.Equal(t, profile, st.MIGProfile)
		assert.NotEmpty(t, st.ParentID)
		assert.NotEqual(t, st.ParentID, id)
		require.Len(t, st.Allocations, 1)
		assert.Equal(t, alloc.ID, st.Allocations[0].AllocID)

		env := taskEnv(t, c, alloc.ID)
		assert.Equal(t, id, env["CUDA_VISIBLE_DEVICES"])
	})

	t.Run("MPS shares of one GPU", func(t *testing.T) {
		var allocs []*api.Allocation
		for i := range 2 {
			id := fmt.Sprintf("mps-%d", i)
			registerJob(t, c, gpuJob(id, api.JobTypeService, &api.DeviceRequest{
				Name: "nvidia/gpu", Count: 1, Model: "A100", Sharing: api.SharingMPS,
				MPSComputePercent: 50, MPSMemoryMB: 8192,
			}, envScript))
			allocs = append(allocs, waitAlloc(t, c, id, clientStatus(api.AllocClientRunning)))
		}
		first, second := onlyDevice(t, allocs[0]), onlyDevice(t, allocs[1])
		id := first.DeviceIDs[0]
		assert.Equal(t, id, second.DeviceIDs[0], "the second share should pack onto the first's GPU")
		assert.Equal(t, "gpu", a100Devs[id].Type)

		st := gpuStatus(t, c, id)
		require.Len(t, st.Allocations, 2)
		holders := map[string]bool{}
		for _, use := range st.Allocations {
			holders[use.AllocID] = true
			assert.Equal(t, api.SharingMPS, use.Sharing)
			assert.Equal(t, 50, use.MPSComputePercent)
			assert.Equal(t, 8192, use.MPSMemoryMB)
		}
		assert.Equal(t, map[string]bool{allocs[0].ID: true, allocs[1].ID: true}, holders)

		for _, alloc := range allocs {
			env := taskEnv(t, c, alloc.ID)
			assert.Equal(t, id, env["CUDA_VISIBLE_DEVICES"])
			assert.Equal(t, "50", env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"])
			assert.Equal(t, id+"=8192M", env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"])
			assert.NotEmpty(t, env["CUDA_MPS_PIPE_DIRECTORY"])
		}
	})

	// The exclusive GPU is held by one allocation only, even with MPS
	// shares next to it on the same node.
	whole := waitAlloc(t, c, "whole", clientStatus(api.AllocClientRunning))
	st := gpuStatus(t, c, onlyDevice(t, whole).DeviceIDs[0])
	assert.Len(t, st.Allocations, 1)
}
