package client

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
	"github.com/constellation-sched/constellation/drivers/wasm"
	"github.com/constellation-sched/constellation/internal/repo"
)

// wasmWait bounds how long a wasm task may take to be compiled and run on
// a busy machine.
const wasmWait = 2 * time.Minute

// buildWasmExample compiles examples/wasm/<name> for wasip1 into dir.
func buildWasmExample(t *testing.T, dir, name string) string {
	t.Helper()
	root, err := repo.Root()
	require.NoError(t, err)
	out := filepath.Join(dir, name+".wasm")
	cmd := exec.Command("go", "build", "-o", out, "./examples/wasm/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "build %s: %s", name, msg)
	return out
}

func wasmAlloc(id, module string, fuel int) *api.Allocation {
	cfg := map[string]any{"module": module}
	if fuel > 0 {
		cfg["fuel"] = int64(fuel)
	}
	job := &api.Job{ID: "job-" + id, Type: api.JobTypeBatch, TaskGroups: []*api.TaskGroup{{
		Name: "g", Count: 1,
		RestartPolicy: &api.RestartPolicy{Attempts: 0, Interval: int64(time.Hour), Mode: api.RestartModeFail},
		Tasks: []*api.Task{{Name: "w", Driver: "wasm", Config: cfg,
			Resources: &api.Resources{CPU: 100, MemoryMB: 64}}},
	}}}
	return &api.Allocation{ID: id, JobID: job.ID, TaskGroup: "g", Job: job,
		DesiredStatus: api.AllocDesiredRun, ClientStatus: api.AllocClientPending,
		Resources: map[string]*api.AllocatedResources{"w": {CPU: 100, MemoryMB: 64}}}
}

// TestAgent_RunsWasmTasks runs WebAssembly modules through the real wasm
// driver: one that finishes, and one that the driver ends when it runs
// out of fuel, whose message must reach the servers as a Driver Failure.
func TestAgent_RunsWasmTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds WebAssembly modules")
	}
	modDir := t.TempDir()
	hello := buildWasmExample(t, modDir, "hello")
	spin := buildWasmExample(t, modDir, "spin")

	wd, err := wasm.New(wasm.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	fs := newFakeServer(t)
	a, err := New(Config{
		DataDir: t.TempDir(), Servers: func() []string { return []string{fs.addr()} },
		Drivers:        []drivers.Driver{wd},
		UpdateInterval: 20 * time.Millisecond, RetryMin: 20 * time.Millisecond,
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, a.Start(context.Background()))
	t.Cleanup(a.Shutdown)

	fs.putAlloc(placed(a, wasmAlloc("wasm-hello", hello, 0)))
	fs.putAlloc(placed(a, wasmAlloc("wasm-spin", spin, 1_000_000)))

	waitStatusWithin(t, fs, "wasm-hello", api.AllocClientComplete, wasmWait)
	out, status := getLogs(t, a, "wasm-hello", "w", "stdout")
	assert.Equal(t, 200, status)
	assert.Contains(t, out, "hello from")

	got := waitStatusWithin(t, fs, "wasm-spin", api.AllocClientFailed, wasmWait)
	var msgs []string
	for _, ev := range got.TaskStates["w"].Events {
		if ev.Type == api.TaskEventDriverErr {
			msgs = append(msgs, ev.Message)
		}
	}
	require.Len(t, msgs, 1, "events: %v", eventTypes(got.TaskStates["w"]))
	assert.Contains(t, msgs[0], "fuel")
}
