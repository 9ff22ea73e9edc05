package server

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/client"
	"github.com/constellation-sched/constellation/client/gpu"
	"github.com/constellation-sched/constellation/drivers"
	"github.com/constellation-sched/constellation/drivers/exec"
	gpudriver "github.com/constellation-sched/constellation/drivers/gpu"
	"github.com/constellation-sched/constellation/internal/gossip"
)

// benchHealthInterval is the clients' device health-check interval in
// the failover benchmark (startClient's setting), the figure the failover
// time is compared with.
const benchHealthInterval = 50 * time.Millisecond

// testClient is a real client agent of a test cluster, with the exec and
// gpu drivers and its own HTTP listener for logs.
type testClient struct {
	agent *client.Agent
	inv   *gpu.Inventory
	http  *http.Server
}

// clientOptions shape a test client.
type clientOptions struct {
	name string
	// mock is the go-nvml mock server the client discovers.
	mock string
	// wrap, when set, replaces the inventory the client sees.
	wrap func(*gpu.Inventory) client.Devices
	// telemetry is the telemetry interval; off when zero.
	telemetry time.Duration
	// before lists server addresses the client tries before the
	// cluster's.
	before []string
}

// startClient starts a client agent that talks to the given servers.
func startClient(t testing.TB, servers []*testServer, opts clientOptions) *testClient {
	t.Helper()
	inv, err := gpu.Discover(gpu.Options{Mock: opts.mock, Logger: testLogger()})
	require.NoError(t, err)
	var devs client.Devices = inv
	if opts.wrap != nil {
		devs = opts.wrap(inv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addrs := append([]string(nil), opts.before...)
	for _, ts := range servers {
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(ts.ports[0]))
	}
	logger := testLogger().With("agent", opts.name)
	telemetry := opts.telemetry
	if telemetry == 0 {
		telemetry = -1
	}
	agent, err := client.New(client.Config{
		DataDir: t.TempDir(), NodeName: opts.name,
		Servers:  func() []string { return addrs },
		HTTPAddr: ln.Addr().String(),
		Drivers: []drivers.Driver{exec.New(logger),
			gpudriver.New(gpudriver.Options{Logger: logger})},
		Devices:              devs,
		WatchWait:            2 * time.Second,
		UpdateInterval:       20 * time.Millisecond,
		RetryMin:             50 * time.Millisecond,
		RetryMax:             500 * time.Millisecond,
		DeviceHealthInterval: benchHealthInterval,
		TelemetryInterval:    telemetry,
	}, logger)
	require.NoError(t, err)
	hs := &http.Server{Handler: agent.Handler()}
	go hs.Serve(ln)
	require.NoError(t, agent.Start(context.Background()))
	tc := &testClient{agent: agent, inv: inv, http: hs}
	t.Cleanup(func() {
		agent.Shutdown()
		hs.Close()
		inv.Close()
	})
	return tc
}

// waitNodeReady waits until the servers list the client's node as ready
// with as many device instances as it reports.
func waitNodeReady(t testing.TB, c *api.Client, tc *testClient) {
	t.Helper()
	require.Eventually(t, func() bool {
		n, _, err := c.Node(context.Background(), tc.agent.NodeID(), nil)
		return err == nil && n.Status == api.NodeStatusReady
	}, 20*time.Second, 20*time.Millisecond, "node %s never became ready", tc.agent.NodeID())
}

// gpuJob is a job of one task run by the gpu driver with one device
// request.
func gpuJob(id, typ string, req *api.DeviceRequest, script string) *api.Job {
	return &api.Job{ID: id, Type: typ, TaskGroups: []*api.TaskGroup{{
		Name: "g", Count: 1,
		RestartPolicy: &api.RestartPolicy{Attempts: 0, Mode: api.RestartModeFail},
		Tasks: []*api.Task{{
			Name: "t", Driver: gpudriver.Name,
			Config: map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
			Resources: &api.Resources{CPU: 20, MemoryMB: 16,
				Devices: []*api.DeviceRequest{req}},
		}},
	}}}
}

// registerJob registers job, retrying while the cluster settles.
func registerJob(t testing.TB, c *api.Client, job *api.Job) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, err := c.RegisterJob(context.Background(), &api.JobRegisterRequest{Job: job})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "register job %s", job.ID)
}

// waitAlloc waits for an allocation of the job that satisfies ok and
// returns it in full.
func waitAlloc(t testing.TB, c *api.Client, jobID string,
	ok func(*api.Allocation) bool) *api.Allocation {
	t.Helper()
	var found *api.Allocation
	require.Eventually(t, func() bool {
		stubs, _, err := c.JobAllocations(context.Background(), jobID, nil)
		if err != nil {
			return false
		}
		for _, s := range stubs {
			a, _, err := c.Allocation(context.Background(), s.ID, nil)
			if err == nil && ok(a) {
				found = a
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "no matching allocation of job %s", jobID)
	return found
}

func clientStatus(status string) func(*api.Allocation) bool {
	return func(a *api.Allocation) bool { return a.ClientStatus == status }
}

// taskEnv reads the environment a task printed with `env` through the
// servers' log API.
func taskEnv(t testing.TB, c *api.Client, allocID string) map[string]string {
	t.Helper()
	var buf bytes.Buffer
	require.Eventually(t, func() bool {
		buf.Reset()
		err := c.AllocLogs(context.Background(), allocID, "t", "stdout", &buf)
		return err == nil && strings.Contains(buf.String(), "PATH=")
	}, 10*time.Second, 20*time.Millisecond, "no env in the log of %s", allocID)
	env := map[string]string{}
	for _, line := range strings.Split(buf.String(), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env
}

// gpuStatus returns the servers' view of one device instance.
func gpuStatus(t testing.TB, c *api.Client, id string) *api.GPUStatus {
	t.Helper()
	gpus, _, err := c.GPUs(context.Background(), nil)
	require.NoError(t, err)
	for _, g := range gpus {
		if g.ID == id {
			return g
		}
	}
	require.Failf(t, "device not listed", "GET /v1/gpus has no device %s", id)
	return nil
}

// onlyDevices exposes just the named device instances of an inventory,
// as a node with that much hardware would.
type onlyDevices struct {
	*gpu.Inventory
	keep map[string]bool
}

// Groups returns the kept instances, in groups that still hold any.
func (o *onlyDevices) Groups() []*api.DeviceGroup {
	return o.filter(o.Inventory.Groups())
}

// WatchHealth passes on the inventory's changes, filtered.
func (o *onlyDevices) WatchHealth(ctx context.Context, interval time.Duration,
	onChange func([]*api.DeviceGroup)) {
	o.Inventory.WatchHealth(ctx, interval, func(groups []*api.DeviceGroup) {
		onChange(o.filter(groups))
	})
}

func (o *onlyDevices) filter(groups []*api.DeviceGroup) []*api.DeviceGroup {
	var out []*api.DeviceGroup
	for _, g := range groups {
		var keep []*api.DeviceInstance
		for _, in := range g.Instances {
			if o.keep[in.ID] {
				keep = append(keep, in)
			}
		}
		if len(keep) > 0 {
			c := *g
			c.Instances = keep
			out = append(out, &c)
		}
	}
	return out
}

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
		Meta: gossip.Meta{Role: gossip.RoleServer, HTTPAddr: httpAddr,
			RaftAddr: srv.RaftAddr(), Bootstrap: 1},
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
