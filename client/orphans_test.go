package client

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
	execdrv "github.com/constellation-sched/constellation/drivers/exec"
)

// Environment of the crash helper: the test binary run again as a client
// agent with the exec driver, to be killed with SIGKILL.
const (
	envCrashDataDir = "CONSTELLATION_TEST_CRASH_AGENT_DATA_DIR"
	envCrashServer  = "CONSTELLATION_TEST_CRASH_AGENT_SERVER"
	envCrashNodeID  = "CONSTELLATION_TEST_CRASH_AGENT_NODE_ID"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envCrashDataDir); dir != "" {
		runCrashAgent(dir, os.Getenv(envCrashServer), os.Getenv(envCrashNodeID))
		return
	}
	os.Exit(m.Run())
}

// runCrashAgent runs a client agent until the process is killed.
func runCrashAgent(dataDir, server, nodeID string) {
	a, err := New(execAgentConfig(dataDir, server, nodeID), slog.New(slog.DiscardHandler))
	if err == nil {
		err = a.Start(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash agent:", err)
		os.Exit(2)
	}
	select {}
}

func execAgentConfig(dataDir, server, nodeID string) Config {
	return Config{
		DataDir:        dataDir,
		NodeName:       "test-node",
		NodeID:         nodeID,
		Servers:        func() []string { return []string{server} },
		Drivers:        []drivers.Driver{execdrv.New(slog.New(slog.DiscardHandler))},
		WatchWait:      2 * time.Second,
		UpdateInterval: 20 * time.Millisecond,
		RetryMin:       20 * time.Millisecond,
		RetryMax:       200 * time.Millisecond,
	}
}

// sleepAlloc is a service allocation whose one exec task runs
// /bin/sleep 600.
func sleepAlloc(id, nodeID string) *api.Allocation {
	task := &api.Task{Name: "web", Driver: execdrv.Name, KillTimeout: int64(2 * time.Second),
		Config: map[string]any{"command": "/bin/sleep", "args": []any{"600"}}}
	tg := &api.TaskGroup{Name: "g", Count: 1, Tasks: []*api.Task{task}}
	job := &api.Job{ID: "job-" + id, Type: api.JobTypeService, TaskGroups: []*api.TaskGroup{tg}}
	return &api.Allocation{ID: id, NodeID: nodeID, JobID: job.ID, TaskGroup: "g", Job: job,
		DesiredStatus: api.AllocDesiredRun, ClientStatus: api.AllocClientPending}
}

// statOf returns the fields of /proc/<pid>/stat after the command name,
// the first being field 3 (state) of proc(5); nil when pid is gone.
func statOf(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

// running reports whether the process pid that started at start is
// still alive (zombies count as dead).
func running(pid int, start string) bool {
	f := statOf(pid)
	return f != nil && f[0] != "Z" && f[0] != "X" && f[22-3] == start
}

// childSleep returns the PID and start time of the sleep process whose
// parent is ppid, or 0.
func childSleep(ppid int) (int, string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		f := statOf(pid)
		if f != nil && strings.TrimSpace(string(comm)) == "sleep" && f[4-3] == strconv.Itoa(ppid) {
			return pid, f[22-3]
		}
	}
	return 0, ""
}

func TestAgent_KillsTaskProcessesOrphanedByCrash(t *testing.T) {
	tests := []struct {
		name   string
		change func(fs *fakeServer, alloc *api.Allocation)
	}{
		{"still placed", func(*fakeServer, *api.Allocation) {}},
		{"marked lost", func(fs *fakeServer, alloc *api.Allocation) {
			c := *alloc
			c.ClientStatus = api.AllocClientLost
			c.DesiredStatus = api.AllocDesiredStop
			fs.putAlloc(&c)
		}},
		{"purged", func(fs *fakeServer, alloc *api.Allocation) { fs.removeAlloc(alloc.ID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeServer(t)
			dataDir := t.TempDir()
			const nodeID = "node-crash"
			alloc := sleepAlloc("alloc-svc", nodeID)
			fs.putAlloc(alloc)

			// The first agent runs in a child process, which is then
			// killed with SIGKILL, leaving its task running.
			crashed := exec.Command(os.Args[0], "-test.run=^$")
			crashed.Env = append(os.Environ(), envCrashDataDir+"="+dataDir,
				envCrashServer+"="+fs.addr(), envCrashNodeID+"="+nodeID)
			crashed.Stderr = os.Stderr
			require.NoError(t, crashed.Start())
			t.Cleanup(func() { _ = crashed.Process.Kill(); _ = crashed.Wait() })
			waitStatus(t, fs, alloc.ID, api.AllocClientRunning)

			var pid int
			var start string
			require.Eventually(t, func() bool { pid, start = childSleep(crashed.Process.Pid); return pid != 0 },
				waitFor, 10*time.Millisecond, "the task's sleep process never appeared")
			t.Cleanup(func() {
				if running(pid, start) {
					_ = syscall.Kill(-pid, syscall.SIGKILL)
				}
			})
			require.NoError(t, crashed.Process.Kill())
			_ = crashed.Wait()
			require.True(t, running(pid, start), "the task died with its agent; nothing to test")

			tt.change(fs, alloc)
			b, err := New(execAgentConfig(dataDir, fs.addr(), nodeID), slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			require.NoError(t, b.Start(context.Background()))
			t.Cleanup(b.Shutdown)

			require.Eventually(t, func() bool { return !running(pid, start) }, waitFor, 10*time.Millisecond,
				"the sleep process (pid %d) left by the crashed agent still runs", pid)
		})
	}
}

// startSleep starts a sleep in its own process group, reaped by the test.
func startSleep(t *testing.T) (*exec.Cmd, uint64) {
	t.Helper()
	cmd := exec.Command("/bin/sleep", "600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	f := statOf(cmd.Process.Pid)
	require.NotNil(t, f)
	start, err := strconv.ParseUint(f[22-3], 10, 64)
	require.NoError(t, err)
	return cmd, start
}

func TestAgent_KillOrphansChecksIdentity(t *testing.T) {
	tests := []struct {
		name       string
		startDelta uint64
		wantKilled bool
	}{
		{"same process", 0, true},
		{"PID reused by a later process", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			cmd, start := startSleep(t)
			pid := cmd.Process.Pid
			db, err := openStateDB(dataDir)
			require.NoError(t, err)
			require.NoError(t, db.PutProc(procKey("a1", "web"),
				&procRecord{AllocID: "a1", Task: "web", PID: pid, PGID: pid, StartTime: start - tt.startDelta}))

			a, err := New(execAgentConfig(dataDir, "http://127.0.0.1:1", "n1"), slog.New(slog.DiscardHandler))
			require.NoError(t, err)
			a.killOrphans()

			startStr := strconv.FormatUint(start, 10)
			if tt.wantKilled {
				require.Eventually(t, func() bool { return !running(pid, startStr) }, waitFor, 10*time.Millisecond)
			} else {
				require.True(t, running(pid, startStr), "an unrelated process was killed")
			}
			// The record is dropped either way, and stays dropped.
			db, err = openStateDB(dataDir)
			require.NoError(t, err)
			require.Empty(t, db.Procs())
		})
	}
}
