package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler"
)

// xidFallenOffBus is a critical XID: the GPU needs a reset.
const xidFallenOffBus = 79

// injectXID raises a critical XID on a device, as an NVML event.
func injectXID(tc *testClient, id string) error {
	return tc.inv.InjectMockXID(id, xidFallenOffBus)
}

// failGPU makes a GPU answer as one fallen off the bus, for the health
// poll to find.
func failGPU(tc *testClient, id string) error {
	return tc.inv.FailMockDevice(id, true)
}

// onNode pins a job to the client's node.
func onNode(tc *testClient) []*api.Constraint {
	return []*api.Constraint{{LTarget: "${node.id}", Operand: "=", RTarget: tc.agent.NodeID()}}
}

// replaced returns a check for a running allocation of the job other
// than the one with ID old.
func replaced(old string) func(*api.Allocation) bool {
	return func(a *api.Allocation) bool {
		return a.ID != old && a.ClientStatus == api.AllocClientRunning &&
			a.DesiredStatus == api.AllocDesiredRun
	}
}

// stoppedFor returns a check for the allocation with ID id stopped by the
// servers because its device failed.
func stoppedFor(id string) func(*api.Allocation) bool {
	return func(a *api.Allocation) bool {
		return a.ID == id && a.DesiredStatus == api.AllocDesiredStop
	}
}

// TestGPUCluster_DeviceHealth fails the GPU under a running allocation
// (a critical XID event, or a GPU lost to the health poll) and checks
// that the servers mark the GPU unhealthy, stop the allocation and run
// its replacement on a healthy GPU.
func TestGPUCluster_DeviceHealth(t *testing.T) {
	tests := []struct {
		name   string
		mock   string
		req    *api.DeviceRequest
		inject func(*testClient, string) error
	}{
		{name: "XID on a whole GPU", mock: "dgxa100",
			req: &api.DeviceRequest{Name: "nvidia/gpu", Count: 1}, inject: injectXID},
		{name: "XID on a MIG instance", mock: "dgxa100-mig",
			req: &api.DeviceRequest{Name: "gpu", Count: 1, MIGProfile: "1g.5gb"}, inject: injectXID},
		{name: "GPU fallen off the bus", mock: "dgxh100",
			req: &api.DeviceRequest{Name: "nvidia/gpu", Count: 1}, inject: failGPU},
	}
	servers := startCluster(t, 1)
	c := waitLeader(t, servers).client
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			node := startClient(t, servers, clientOptions{name: fmt.Sprintf("n%d", i), mock: tt.mock})
			waitNodeReady(t, c, node)
			jobID := fmt.Sprintf("health-%d", i)
			job := gpuJob(jobID, api.JobTypeService, tt.req, envScript)
			job.Constraints = onNode(node)
			registerJob(t, c, job)
			first := waitAlloc(t, c, jobID, clientStatus(api.AllocClientRunning))
			bad := onlyDevice(t, first).DeviceIDs[0]

			require.NoError(t, tt.inject(node, bad))

			// The servers learn the GPU is unhealthy, stop the allocation on
			// it and run a replacement on another GPU.
			require.Eventually(t, func() bool { return !gpuStatus(t, c, bad).Healthy },
				20*time.Second, 20*time.Millisecond, "device %s never reported unhealthy", bad)
			stopped := waitAlloc(t, c, jobID, stoppedFor(first.ID))
			assert.Equal(t, scheduler.DescDeviceFailed, stopped.DesiredDescription)
			next := waitAlloc(t, c, jobID, replaced(first.ID))
			good := onlyDevice(t, next).DeviceIDs[0]
			assert.NotEqual(t, bad, good)
			assert.True(t, gpuStatus(t, c, good).Healthy)
			assert.Equal(t, first.ID, next.PreviousAllocation)
			assert.Equal(t, good, taskEnv(t, c, next.ID)["CUDA_VISIBLE_DEVICES"])

			// The stopped allocation's process ends on the client.
			waitAlloc(t, c, jobID, func(a *api.Allocation) bool {
				return a.ID == first.ID && a.ClientTerminal()
			})
		})
	}
}

// BenchmarkGPUCluster_DeviceFailover measures the time from a GPU failing
// under a running allocation to the allocation's replacement running on a
// healthy GPU, seen through the API, and the part of it until the servers
// list the device as unhealthy. An XID arrives as an NVML event; a GPU
// that fell off the bus is found by the clients' health poll, so its
// figure is compared with the health-check interval, also reported.
func BenchmarkGPUCluster_DeviceFailover(b *testing.B) {
	faults := []struct {
		name   string
		inject func(*testClient, string) error
	}{
		{"xid_event", injectXID},
		{"gpu_lost_poll", failGPU},
	}
	for _, f := range faults {
		b.Run(f.name, func(b *testing.B) { benchFailover(b, f.inject) })
	}
}

func benchFailover(b *testing.B, inject func(*testClient, string) error) {
	ts := startSingleServer(b)
	c := ts.client
	servers := []*testServer{ts}

	// A dgxa100 node has eight GPUs: seven failovers each. Fresh nodes
	// join, outside the timer, when the healthy GPUs run out.
	var node *testClient
	var total, detect time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if i%7 == 0 {
			node = startClient(b, servers, clientOptions{name: fmt.Sprintf("n%d", i), mock: "dgxa100"})
			waitNodeReady(b, c, node)
		}
		jobID := fmt.Sprintf("failover-%d", i)
		req := &api.DeviceRequest{Name: "nvidia/gpu", Count: 1}
		job := gpuJob(jobID, api.JobTypeService, req, "exec sleep 600")
		job.Constraints = onNode(node)
		registerJob(b, c, job)
		first := waitAlloc(b, c, jobID, clientStatus(api.AllocClientRunning))
		bad := first.Resources["t"].Devices[0].DeviceIDs[0]
		b.StartTimer()

		// The timed part: fault, detection, replacement running.
		start := time.Now()
		require.NoError(b, inject(node, bad))
		unhealthyAt := pollUntil(b, func() bool { return !gpuStatus(b, c, bad).Healthy })
		pollUntil(b, func() bool { return runningReplacement(c, jobID, first.ID) })
		total += time.Since(start)
		detect += unhealthyAt.Sub(start)

		b.StopTimer()
		_, err := c.StopJob(context.Background(), jobID, false)
		require.NoError(b, err)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(total.Microseconds())/1000/n, "ms_to_running_elsewhere")
	b.ReportMetric(float64(detect.Microseconds())/1000/n, "ms_to_unhealthy_at_servers")
	b.ReportMetric(float64(benchHealthInterval.Milliseconds()), "ms_health_check_interval")
	// ns/op would count the polling too; the figures above say it.
	b.ReportMetric(0, "ns/op")
}

// pollUntil polls cond every 2ms for up to 30s and returns when it held.
func pollUntil(tb testing.TB, cond func() bool) time.Time {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return time.Now()
		}
		time.Sleep(2 * time.Millisecond)
	}
	tb.Fatal("condition not met within 30s")
	return time.Time{}
}

// runningReplacement reports whether the job has a running allocation
// other than old.
func runningReplacement(c *api.Client, jobID, old string) bool {
	stubs, _, err := c.JobAllocations(context.Background(), jobID, nil)
	if err != nil {
		return false
	}
	for _, s := range stubs {
		if s.ID != old && s.DesiredStatus == api.AllocDesiredRun &&
			s.ClientStatus == api.AllocClientRunning {
			return true
		}
	}
	return false
}
