package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/internal/gossip"
)

// benchHealthInterval is the clients' device health-check interval in
// the failover benchmark (startClient's setting), the figure the failover
// time is compared with.
const benchHealthInterval = 50 * time.Millisecond

// startSingleServer starts a one-server cluster for tests and benchmarks
// that have only a testing.TB, and waits for it to lead.
func startSingleServer(tb testing.TB) *testServer {
	tb.Helper()
	var ports [3]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(tb, err)
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	ts := &testServer{name: "s1", dataDir: tb.TempDir(), ports: ports}
	httpAddr := "127.0.0.1:" + strconv.Itoa(ts.ports[0])
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.RaftPort, cfg.HTTPAddr = ts.name, ts.dataDir, ts.ports[1], httpAddr
	cfg.BootstrapExpect = 1
	cfg.HeartbeatTTL = 2 * time.Second
	srv, err := New(cfg, testLogger())
	require.NoError(tb, err)
	pool, err := gossip.New(gossip.Config{
		Name: ts.name, BindAddr: "127.0.0.1", BindPort: ts.ports[2], Fast: true,
		Meta: gossip.Meta{Role: gossip.RoleServer, HTTPAddr: httpAddr, RaftAddr: srv.RaftAddr(), Bootstrap: 1},
	}, testLogger())
	require.NoError(tb, err)
	srv.Start(pool)
	ln, err := net.Listen("tcp", httpAddr)
	require.NoError(tb, err)
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	ts.srv, ts.pool, ts.http = srv, pool, hs
	ts.client = api.NewClient(httpAddr).WithHTTPClient(&http.Client{Timeout: 10 * time.Second})
	tb.Cleanup(ts.stop)
	require.Eventually(tb, srv.leaderReady, 30*time.Second, 10*time.Millisecond, "no leader")
	return ts
}

// BenchmarkGPUCluster_DeviceFailover measures the time from a critical XID
// on the GPU under a running allocation to its replacement running on a
// healthy GPU, seen through the API. It reports the figure beside the
// clients' health-check interval, and the part of it until the servers
// list the device as unhealthy.
func BenchmarkGPUCluster_DeviceFailover(b *testing.B) {
	ts := startSingleServer(b)
	c := ts.client
	servers := []*testServer{ts}

	// A dgxa100 node has eight GPUs: seven failovers each. Fresh nodes
	// join, outside the timer, when the healthy GPUs run out.
	var node *testClient
	failovers := 0
	newNode := func() {
		node = startClient(b, servers, clientOptions{name: fmt.Sprintf("n%d", failovers), mock: "dgxa100"})
		waitNodeReady(b, c, node)
	}
	var total, detect time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if failovers%7 == 0 {
			newNode()
		}
		failovers++
		jobID := fmt.Sprintf("failover-%d", i)
		job := gpuJob(jobID, api.JobTypeService, &api.DeviceRequest{Name: "nvidia/gpu", Count: 1}, "exec sleep 600")
		job.Constraints = []*api.Constraint{{LTarget: "${node.id}", Operand: "=", RTarget: node.agent.NodeID()}}
		registerJob(b, c, job)
		first := waitAlloc(b, c, jobID, clientStatus(api.AllocClientRunning))
		bad := first.Resources["t"].Devices[0].DeviceIDs[0]
		b.StartTimer()

		start := time.Now()
		require.NoError(b, node.inv.InjectMockXID(bad, xidFallenOffBus))
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
	b.ReportMetric(float64(total.Milliseconds())/n, "ms_to_running_elsewhere")
	b.ReportMetric(float64(detect.Milliseconds())/n, "ms_to_unhealthy_at_servers")
	b.ReportMetric(float64(benchHealthInterval.Milliseconds()), "ms_health_check_interval")
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
		if s.ID != old && s.DesiredStatus == api.AllocDesiredRun && s.ClientStatus == api.AllocClientRunning {
			return true
		}
	}
	return false
}
