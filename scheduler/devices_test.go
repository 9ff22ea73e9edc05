package scheduler_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler"
	"github.com/constellation-sched/constellation/scheduler/schedtest"
)

// gpuNode returns a node with the given number of whole A100 GPUs.
func gpuNode(id string, gpus int) *api.Node {
	n := schedtest.Node(id, 16000, 65536)
	group := &api.DeviceGroup{
		Vendor: "nvidia", Type: "gpu", Model: "NVIDIA A100-SXM4-40GB",
		Attributes: map[string]string{"memory_mb": "40960", "compute_capability": "8.0"},
	}
	for i := range gpus {
		group.Instances = append(group.Instances, &api.DeviceInstance{
			ID: fmt.Sprintf("GPU-%s-%d", id, i), MemoryMB: 40960, Healthy: true,
			PCIBusID: fmt.Sprintf("0000:%02x:00.0", i),
		})
	}
	n.Resources.Devices = []*api.DeviceGroup{group}
	return n
}

// gpuJob returns a service job whose task asks for gpus whole GPUs.
func gpuJob(id string, count, gpus int) *api.Job {
	job := schedtest.ServiceJob(id, count, 1000, 1024)
	job.TaskGroups[0].Tasks[0].Resources.Devices = []*api.DeviceRequest{{Name: "nvidia/gpu", Count: gpus}}
	return job
}

func TestGenericScheduler_PlacesDeviceRequests(t *testing.T) {
	h := schedtest.NewHarness()
	h.State.UpsertNode(gpuNode("g1", 1))
	h.State.UpsertNode(gpuNode("g2", 1))
	h.State.UpsertNode(schedtest.Node("cpu-only", 16000, 65536))
	register(t, h, gpuJob("train", 3, 1))

	running := h.Running("train")["web"]
	require.Len(t, running, 2)
	seen := map[string]bool{}
	for _, a := range running {
		devs := a.Resources["server"].Devices
		require.Len(t, devs, 1)
		require.Len(t, devs[0].DeviceIDs, 1)
		assert.Equal(t, fmt.Sprintf("GPU-%s-0", a.NodeID), devs[0].DeviceIDs[0])
		seen[devs[0].DeviceIDs[0]] = true
	}
	assert.Len(t, seen, 2, "each GPU is held once")

	metric := h.LastEval().FailedTGAllocs["web"]
	require.NotNil(t, metric)
	assert.Equal(t, 2, metric.DimensionExhausted["devices"], "both GPUs are taken")
	assert.Equal(t, 1, metric.NodesFiltered, "the node without GPUs is filtered, not exhausted")
	for reason, n := range metric.ConstraintFiltered {
		assert.Contains(t, reason, "no device matches")
		assert.Equal(t, 1, n)
	}
}

func TestEvaluatePlan_RefusesDoubleBookedGPU(t *testing.T) {
	h := schedtest.NewHarness()
	h.State.UpsertNode(gpuNode("g1", 1))
	a, b := gpuJob("a", 1, 1), gpuJob("b", 1, 1)
	h.State.UpsertJob(a)
	h.State.UpsertJob(b)
	evalA := h.NewEval(a, api.EvalTriggerJobRegister)
	evalB := h.NewEval(b, api.EvalTriggerJobRegister)
	snap := h.State.Snapshot()

	require.NoError(t, h.Scheduler(snap).Process(evalA))
	require.NoError(t, h.Scheduler(snap).Process(evalB))

	require.Len(t, h.Results, 2)
	assert.Len(t, h.Results[0].NodeAllocation["g1"], 1)
	assert.Equal(t, []string{"g1"}, h.Results[1].RejectedNodes, "CPU fits; the GPU is taken")
	assert.Len(t, h.Running("a")["web"], 1)
	assert.Empty(t, h.Running("b"))
	require.NotNil(t, h.LastEval().FailedTGAllocs["web"])
	assert.Equal(t, 1, h.LastEval().FailedTGAllocs["web"].DimensionExhausted["devices"])
}

func TestGenericScheduler_InvalidDeviceRequestFailsEval(t *testing.T) {
	h := schedtest.NewHarness()
	h.State.UpsertNode(gpuNode("g1", 1))
	job := gpuJob("a", 1, 1)
	job.TaskGroups[0].Tasks[0].Resources.Devices[0].Sharing = "sometimes"
	register(t, h, job)

	assert.Empty(t, h.Plans)
	assert.Equal(t, api.EvalStatusFailed, h.LastEval().Status)
	assert.Contains(t, h.LastEval().StatusDescription, "task server")
}

func TestGenericScheduler_UnhealthyDeviceMovesItsAllocation(t *testing.T) {
	h := schedtest.NewHarness()
	h.State.UpsertNode(gpuNode("g1", 1))
	register(t, h, gpuJob("train", 1, 1))
	first := h.Running("train")["web"]
	require.Len(t, first, 1)
	broken := first[0].NodeID
	other := "g2"
	if broken == "g2" {
		other = "g1"
	}
	h.State.UpsertNode(gpuNode(other, 1))

	// The GPU under the allocation reports an XID error.
	node := gpuNode(broken, 1)
	node.Resources.Devices[0].Instances[0].Healthy = false
	node.Resources.Devices[0].Instances[0].HealthDescription = "XID 79"
	h.State.UpsertNode(node)
	job, _ := h.State.JobByID("train")
	require.NoError(t, h.Process(h.NewEval(job, api.EvalTriggerDeviceHealth)))

	running := h.Running("train")["web"]
	require.Len(t, running, 1)
	assert.Equal(t, other, running[0].NodeID)
	assert.Equal(t, first[0].ID, running[0].PreviousAllocation)
	old := h.State.AllocByID(first[0].ID)
	assert.Equal(t, api.AllocDesiredStop, old.DesiredStatus)
	assert.Equal(t, scheduler.DescDeviceFailed, old.DesiredDescription)
}
