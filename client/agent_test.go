package client

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

const waitFor = 20 * time.Second

// startAgent starts a client agent against the given servers.
func startAgent(t *testing.T, dataDir string, servers ...string) *Agent {
	t.Helper()
	a, err := New(Config{
		DataDir:        dataDir,
		NodeName:       "test-node",
		Servers:        func() []string { return servers },
		Drivers:        []drivers.Driver{&procDriver{name: "proc"}},
		WatchWait:      2 * time.Second,
		UpdateInterval: 20 * time.Millisecond,
		RetryMin:       20 * time.Millisecond,
		RetryMax:       200 * time.Millisecond,
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, a.Start(context.Background()))
	t.Cleanup(a.Shutdown)
	return a
}

// waitStatus waits until the client reported the allocation in status.
func waitStatus(t *testing.T, fs *fakeServer, id, status string) *api.Allocation {
	t.Helper()
	return waitStatusWithin(t, fs, id, status, waitFor)
}

func waitStatusWithin(t *testing.T, fs *fakeServer, id, status string, d time.Duration) *api.Allocation {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		last := fs.lastUpdate(id)
		if last != nil && last.ClientStatus == status {
			return last
		}
		if time.Now().After(deadline) {
			var seen []string
			if last != nil {
				seen = append(seen, last.ClientStatus)
				for name, st := range last.TaskStates {
					for _, ev := range st.Events {
						seen = append(seen, name+": "+ev.Type+": "+ev.Message)
					}
				}
			}
			t.Fatalf("allocation %s never reported %s; last seen: %v", id, status, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func placed(a *Agent, alloc *api.Allocation) *api.Allocation {
	alloc.NodeID = a.NodeID()
	return alloc
}

func TestAgent_RegistersFingerprintedNode(t *testing.T) {
	fs := newFakeServer(t)
	a := startAgent(t, t.TempDir(), fs.addr())
	require.Eventually(t, func() bool { r, _, _ := fs.counts(); return r > 0 }, waitFor, 10*time.Millisecond)

	fs.mu.Lock()
	node := fs.nodes[a.NodeID()]
	fs.mu.Unlock()
	require.NotNil(t, node)
	assert.Equal(t, "test-node", node.Name)
	assert.Equal(t, "dc1", node.Datacenter)
	assert.Equal(t, []string{"proc"}, node.Drivers)
	assert.Equal(t, "1", node.Attributes["driver.proc"])
	for _, k := range []string{"kernel.name", "kernel.version", "os.name", "cpu.arch",
		"cpu.numcores", "unique.hostname"} {
		assert.NotEmpty(t, node.Attributes[k], k)
	}
	assert.Positive(t, node.Resources.CPU)
	assert.Positive(t, node.Resources.MemoryMB)

	// Heartbeats follow at a fraction of the TTL.
	require.Eventually(t, func() bool { _, h, _ := fs.counts(); return h >= 2 }, waitFor, 10*time.Millisecond)
}

func TestAgent_ReregistersWhenUnknown(t *testing.T) {
	fs := newFakeServer(t)
	startAgent(t, t.TempDir(), fs.addr())
	require.Eventually(t, func() bool { _, h, _ := fs.counts(); return h >= 1 }, waitFor, 10*time.Millisecond)
	before, _, _ := fs.counts()
	fs.forgetNodes()
	require.Eventually(t, func() bool { r, _, _ := fs.counts(); return r > before }, waitFor, 10*time.Millisecond)
}

func TestAgent_RotatesPastDeadServer(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := dead.URL
	dead.Close()
	fs := newFakeServer(t)
	startAgent(t, t.TempDir(), deadAddr, fs.addr())
	require.Eventually(t, func() bool { r, _, _ := fs.counts(); return r > 0 }, waitFor, 10*time.Millisecond)
}

func TestAgent_RunsBatchAllocation(t *testing.T) {
	fs := newFakeServer(t)
	a := startAgent(t, t.TempDir(), fs.addr())
	fs.putAlloc(placed(a, testAlloc("alloc-1", api.JobTypeBatch, nil,
		map[string]string{"hello": `echo "hello from $CONSTELLATION_TASK_NAME"; echo oops >&2`})))

	got := waitStatus(t, fs, "alloc-1", api.AllocClientComplete)
	st := got.TaskStates["hello"]
	require.NotNil(t, st)
	assert.Equal(t, api.TaskStateDead, st.State)
	assert.False(t, st.Failed)
	assert.Equal(t, []string{"Received", "Started", "Terminated"}, eventTypes(st))
	assert.Nil(t, got.Job, "updates carry no job")

	body, status := getLogs(t, a, "alloc-1", "hello", "stdout")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "hello from hello\n", body)
	body, _ = getLogs(t, a, "alloc-1", "", "stderr")
	assert.Equal(t, "oops\n", body)
}

func TestAgent_FailedAllocation(t *testing.T) {
	fs := newFakeServer(t)
	a := startAgent(t, t.TempDir(), fs.addr())
	rp := &api.RestartPolicy{Attempts: 1, Interval: int64(time.Hour), Delay: int64(time.Millisecond),
		Mode: api.RestartModeFail}
	fs.putAlloc(placed(a, testAlloc("alloc-f", api.JobTypeBatch, rp, map[string]string{"t": "exit 7"})))

	got := waitStatus(t, fs, "alloc-f", api.AllocClientFailed)
	st := got.TaskStates["t"]
	assert.True(t, st.Failed)
	assert.Equal(t, 1, st.Restarts)
	assert.Equal(t, 7, st.ExitCode)
}

func TestAgent_StopsAllocation(t *testing.T) {
	tests := []struct {
		name   string
		change func(fs *fakeServer, alloc *api.Allocation)
	}{
		{"desired stop", func(fs *fakeServer, alloc *api.Allocation) {
			c := *alloc
			c.DesiredStatus = api.AllocDesiredStop
			fs.putAlloc(&c)
		}},
		{"marked lost", func(fs *fakeServer, alloc *api.Allocation) {
			c := *alloc
			c.ClientStatus = api.AllocClientLost
			fs.putAlloc(&c)
		}},
		{"no longer listed", func(fs *fakeServer, alloc *api.Allocation) { fs.removeAlloc(alloc.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t)
			a := startAgent(t, t.TempDir(), fs.addr())
			alloc := placed(a, testAlloc("alloc-s", api.JobTypeService, nil,
				map[string]string{"web": "exec sleep 60"}))
			fs.putAlloc(alloc)
			waitStatus(t, fs, "alloc-s", api.AllocClientRunning)

			tt.change(fs, alloc)
			got := waitStatus(t, fs, "alloc-s", api.AllocClientComplete)
			st := got.TaskStates["web"]
			assert.Equal(t, api.TaskEventKilled, st.Events[len(st.Events)-1].Type)
			assert.False(t, st.Failed)
		})
	}
}

func TestAgent_NeverStartsTerminalAllocations(t *testing.T) {
	fs := newFakeServer(t)
	a := startAgent(t, t.TempDir(), fs.addr())
	marker := filepath.Join(t.TempDir(), "ran")
	lost := placed(a, testAlloc("alloc-lost", api.JobTypeBatch, nil,
		map[string]string{"t": "touch " + marker}))
	lost.ClientStatus = api.AllocClientLost
	stopped := placed(a, testAlloc("alloc-stopped", api.JobTypeBatch, nil,
		map[string]string{"t": "touch " + marker}))
	stopped.DesiredStatus = api.AllocDesiredStop
	fs.putAlloc(lost)
	fs.putAlloc(stopped)
	// A third allocation shows that the client has read the list.
	fs.putAlloc(placed(a, testAlloc("alloc-ok", api.JobTypeBatch, nil, map[string]string{"t": "true"})))

	waitStatus(t, fs, "alloc-ok", api.AllocClientComplete)
	assert.NoFileExists(t, marker)
	assert.Nil(t, fs.lastUpdate("alloc-lost"))
	assert.Nil(t, fs.lastUpdate("alloc-stopped"))
}

func TestAgent_RestartKeepsIdentityAndDoesNotRerun(t *testing.T) {
	fs := newFakeServer(t)
	dataDir := t.TempDir()
	counter := filepath.Join(t.TempDir(), "runs")
	a := startAgent(t, dataDir, fs.addr())
	nodeID := a.NodeID()

	// The server never records the client's updates, so it keeps listing
	// the allocation as pending: only the client's own state can stop a
	// second run.
	fs.putAlloc(placed(a, testAlloc("alloc-once", api.JobTypeBatch, nil,
		map[string]string{"t": "echo run >> " + counter})))
	waitStatus(t, fs, "alloc-once", api.AllocClientComplete)
	a.Shutdown()

	fs.mu.Lock()
	fs.updates = nil
	fs.mu.Unlock()
	_, _, queriesBefore := fs.counts()
	b := startAgent(t, dataDir, fs.addr())
	assert.Equal(t, nodeID, b.NodeID())

	// The restored allocation is reported again, and the watch has
	// answered and been reconciled at least once.
	waitStatus(t, fs, "alloc-once", api.AllocClientComplete)
	fs.putAlloc(placed(b, testAlloc("alloc-next", api.JobTypeBatch, nil, map[string]string{"t": "true"})))
	waitStatus(t, fs, "alloc-next", api.AllocClientComplete)
	_, _, queriesAfter := fs.counts()
	assert.Greater(t, queriesAfter, queriesBefore)

	runs, err := os.ReadFile(counter)
	require.NoError(t, err)
	assert.Equal(t, "run\n", string(runs))
}

func TestAgent_RestartResumesUnfinishedTasks(t *testing.T) {
	fs := newFakeServer(t)
	dataDir := t.TempDir()
	a := startAgent(t, dataDir, fs.addr())
	fs.putAlloc(placed(a, testAlloc("alloc-svc", api.JobTypeService, nil,
		map[string]string{"web": "exec sleep 60"})))
	waitStatus(t, fs, "alloc-svc", api.AllocClientRunning)
	a.Shutdown()

	b := startAgent(t, dataDir, fs.addr())
	require.Eventually(t, func() bool {
		got := fs.lastUpdate("alloc-svc")
		if got == nil || got.ClientStatus != api.AllocClientRunning {
			return false
		}
		evs := got.TaskStates["web"].Events
		return len(evs) >= 2 && evs[len(evs)-2].Type == api.TaskEventRestarting &&
			evs[len(evs)-1].Type == api.TaskEventStarted
	}, waitFor, 10*time.Millisecond)
	ar := b.runner("alloc-svc")
	require.NotNil(t, ar)
	assert.Equal(t, api.TaskStateRunning, ar.Alloc().TaskStates["web"].State)
}

func TestAgent_NodeIDPersisted(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Servers: func() []string { return nil }}
	a, err := New(cfg, nil)
	require.NoError(t, err)
	b, err := New(cfg, nil)
	require.NoError(t, err)
	assert.Equal(t, a.NodeID(), b.NodeID())

	cfg.NodeID = "fixed-id"
	c, err := New(cfg, nil)
	require.NoError(t, err)
	assert.Equal(t, "fixed-id", c.NodeID())
}

func TestNew_RejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no data dir", Config{Servers: func() []string { return nil }}, "data dir"},
		{"no servers", Config{DataDir: t.TempDir()}, "Servers"},
		{"duplicate driver", Config{DataDir: t.TempDir(), Servers: func() []string { return nil },
			Drivers: []drivers.Driver{&procDriver{name: "x"}, &procDriver{name: "x"}}}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// getLogs fetches a task's log through the agent's handler over HTTP.
func getLogs(t *testing.T, a *Agent, allocID, task, stream string) (string, int) {
	t.Helper()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	u := srv.URL + "/v1/client/fs/logs/" + allocID + "?type=" + stream
	if task != "" {
		u += "&task=" + task
	}
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(buf), resp.StatusCode
}

func TestAgent_LogErrors(t *testing.T) {
	fs := newFakeServer(t)
	a := startAgent(t, t.TempDir(), fs.addr())
	fs.putAlloc(placed(a, testAlloc("alloc-l", api.JobTypeBatch, nil,
		map[string]string{"one": "echo 1", "two": "echo 2"})))
	waitStatus(t, fs, "alloc-l", api.AllocClientComplete)

	tests := []struct {
		name, alloc, task, stream string
		status                    int
		want                      string
	}{
		{"unknown alloc", "nope", "one", "stdout", http.StatusNotFound, "unknown allocation"},
		{"unknown task", "alloc-l", "three", "stdout", http.StatusNotFound, "its tasks are"},
		{"task needed", "alloc-l", "", "stdout", http.StatusBadRequest, "set task="},
		{"bad type", "alloc-l", "one", "stdin", http.StatusBadRequest, "type=stdout"},
		{"prefix", "alloc-", "two", "stdout", http.StatusOK, "2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, status := getLogs(t, a, tt.alloc, tt.task, tt.stream)
			assert.Equal(t, tt.status, status)
			assert.True(t, strings.Contains(body, tt.want), "body %q lacks %q", body, tt.want)
		})
	}
}

func TestAgent_RestartDoesNotResumeStoppedAllocations(t *testing.T) {
	tests := []struct {
		name   string
		change func(fs *fakeServer, alloc *api.Allocation)
	}{
		{"marked lost", func(fs *fakeServer, alloc *api.Allocation) {
			c := *alloc
			c.ClientStatus = api.AllocClientLost
			fs.putAlloc(&c)
		}},
		{"desired stop", func(fs *fakeServer, alloc *api.Allocation) {
			c := *alloc
			c.DesiredStatus = api.AllocDesiredStop
			fs.putAlloc(&c)
		}},
		{"no longer listed", func(fs *fakeServer, alloc *api.Allocation) { fs.removeAlloc(alloc.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t)
			dataDir := t.TempDir()
			counter := filepath.Join(t.TempDir(), "runs")
			a := startAgent(t, dataDir, fs.addr())
			alloc := placed(a, testAlloc("alloc-svc", api.JobTypeService, nil,
				map[string]string{"web": "echo run >> " + counter + "; exec sleep 60"}))
			fs.putAlloc(alloc)
			waitStatus(t, fs, "alloc-svc", api.AllocClientRunning)
			require.Eventually(t, func() bool { _, err := os.Stat(counter); return err == nil },
				waitFor, 10*time.Millisecond)
			a.Shutdown()

			// While the client is down the servers give up on the allocation.
			tt.change(fs, alloc)
			b := startAgent(t, dataDir, fs.addr())
			fs.putAlloc(placed(b, testAlloc("alloc-next", api.JobTypeBatch, nil, map[string]string{"t": "true"})))
			waitStatus(t, fs, "alloc-next", api.AllocClientComplete)

			runs, err := os.ReadFile(counter)
			require.NoError(t, err)
			assert.Equal(t, "run\n", string(runs))
		})
	}
}
