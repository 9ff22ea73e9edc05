package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/internal/gossip"
)

// testServer is one server agent of a test cluster: real Raft on disk,
// real gossip and real HTTP on loopback.
type testServer struct {
	name    string
	dataDir string
	ports   [3]int // http, raft, gossip
	srv     *Server
	pool    *gossip.Pool
	http    *http.Server
	client  *api.Client
}

func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

func testLogger() *slog.Logger {
	if os.Getenv("CONSTELLATION_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start opens the server from its data dir and joins the given gossip
// addresses.
func (ts *testServer) start(t *testing.T, expect int, join []string) {
	t.Helper()
	httpAddr := "127.0.0.1:" + strconv.Itoa(ts.ports[0])
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.RaftPort, cfg.HTTPAddr = ts.name, ts.dataDir, ts.ports[1], httpAddr
	cfg.BootstrapExpect = expect
	cfg.HeartbeatTTL = 2 * time.Second
	srv, err := New(cfg, testLogger().With("agent", ts.name))
	require.NoError(t, err)
	pool, err := gossip.New(gossip.Config{
		Name: ts.name, BindAddr: "127.0.0.1", BindPort: ts.ports[2], Fast: true,
		Meta: gossip.Meta{Role: gossip.RoleServer, HTTPAddr: httpAddr, RaftAddr: srv.RaftAddr(), Bootstrap: expect},
	}, testLogger())
	require.NoError(t, err)
	srv.Start(pool)
	ln, err := net.Listen("tcp", httpAddr)
	require.NoError(t, err)
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	if len(join) > 0 {
		require.Eventually(t, func() bool { _, err := pool.Join(join); return err == nil },
			10*time.Second, 100*time.Millisecond)
	}
	ts.srv, ts.pool, ts.http = srv, pool, hs
	ts.client = api.NewClient(httpAddr).WithHTTPClient(&http.Client{Timeout: 10 * time.Second})
}

// stop shuts the server down without leaving gossip, as a crash would
// (the data dir stays).
func (ts *testServer) stop() {
	if ts.srv == nil {
		return
	}
	ts.http.Close()
	ts.pool.Shutdown()
	ts.srv.Shutdown()
	ts.srv = nil
}

func startCluster(t *testing.T, n int) []*testServer {
	t.Helper()
	ports := freePorts(t, 3*n)
	servers := make([]*testServer, n)
	for i := range servers {
		servers[i] = &testServer{
			name: fmt.Sprintf("s%d", i+1), dataDir: t.TempDir(),
			ports: [3]int{ports[3*i], ports[3*i+1], ports[3*i+2]},
		}
	}
	first := fmt.Sprintf("127.0.0.1:%d", servers[0].ports[2])
	for i, ts := range servers {
		var join []string
		if i > 0 {
			join = []string{first}
		}
		ts.start(t, n, join)
	}
	t.Cleanup(func() {
		for _, ts := range servers {
			ts.stop()
		}
	})
	return servers
}

// waitLeader returns the server that leads, once one does and every
// running server agrees.
func waitLeader(t *testing.T, servers []*testServer) *testServer {
	t.Helper()
	var leader *testServer
	require.Eventually(t, func() bool {
		leader = nil
		for _, ts := range servers {
			if ts.srv != nil && ts.srv.leaderReady() {
				leader = ts
			}
		}
		return leader != nil
	}, 30*time.Second, 50*time.Millisecond, "no leader elected")
	return leader
}

func registerNode(t *testing.T, c *api.Client, id string, cpu, mem int) {
	t.Helper()
	node := &api.Node{
		ID: id, Name: id, Datacenter: "dc1", Drivers: []string{"wasm"},
		Attributes: map[string]string{"kernel.name": "linux", "driver.wasm": "1"},
		Resources:  &api.NodeResources{CPU: cpu, MemoryMB: mem},
	}
	require.Eventually(t, func() bool {
		_, err := c.RegisterNode(context.Background(), node)
		return err == nil
	}, 20*time.Second, 100*time.Millisecond)
}

func testJob(id string, count int) *api.Job {
	return &api.Job{ID: id, Type: api.JobTypeService, TaskGroups: []*api.TaskGroup{{
		Name: "web", Count: count,
		Tasks: []*api.Task{{Name: "app", Driver: "wasm",
			Config:    map[string]any{"module": "hello.wasm"},
			Resources: &api.Resources{CPU: 100, MemoryMB: 64}}},
	}}}
}

// runningAllocs counts a job's allocations the servers want running.
func runningAllocs(t *testing.T, c *api.Client, jobID string) []*api.AllocListStub {
	allocs, _, err := c.JobAllocations(context.Background(), jobID, nil)
	if err != nil {
		return nil
	}
	var out []*api.AllocListStub
	for _, a := range allocs {
		if a.DesiredStatus == api.AllocDesiredRun && a.ClientStatus != api.AllocClientLost {
			out = append(out, a)
		}
	}
	return out
}
