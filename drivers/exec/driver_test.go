package exec

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

// taskConfig returns a config running /bin/sh -c script in fresh dirs.
func taskConfig(t *testing.T, script string) *drivers.TaskConfig {
	t.Helper()
	alloc := t.TempDir()
	task := filepath.Join(alloc, "web")
	require.NoError(t, os.Mkdir(task, 0o755))
	return &drivers.TaskConfig{
		AllocID: "a1b2c3", JobID: "job", Group: "g", TaskName: "web",
		Config:     map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		Env:        map[string]string{"GREETING": "hello", "CONSTELLATION_TASK_NAME": "spoofed"},
		AllocDir:   alloc,
		TaskDir:    task,
		StdoutPath: filepath.Join(alloc, "web.stdout"),
		StderrPath: filepath.Join(alloc, "web.stderr"),
	}
}

// run starts cfg and waits for it.
func run(t *testing.T, cfg *drivers.TaskConfig) *drivers.ExitResult {
	t.Helper()
	h, err := New(slog.New(slog.DiscardHandler)).Start(context.Background(), cfg)
	require.NoError(t, err)
	return h.Wait()
}

// envFile parses KEY=value lines.
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env
}

func TestDriver_StartEnvAndCwd(t *testing.T) {
	cfg := taskConfig(t, `env; echo "CWD=$(pwd -P)"; echo to-stderr >&2`)
	require.True(t, run(t, cfg).Successful())

	env := envFile(t, cfg.StdoutPath)
	realTask, _ := filepath.EvalSymlinks(cfg.TaskDir)
	assert.Equal(t, "hello", env["GREETING"])
	assert.Equal(t, "a1b2c3", env["CONSTELLATION_ALLOC_ID"])
	assert.Equal(t, "web", env["CONSTELLATION_TASK_NAME"], "task env must not override")
	assert.Equal(t, cfg.AllocDir, env["CONSTELLATION_ALLOC_DIR"])
	assert.Equal(t, cfg.TaskDir, env["CONSTELLATION_TASK_DIR"])
	assert.Equal(t, realTask, env["CWD"])
	assert.NotEmpty(t, env["PATH"])
	stderr, _ := os.ReadFile(cfg.StderrPath)
	assert.Equal(t, "to-stderr\n", string(stderr))
}

func TestDriver_ExitCode(t *testing.T) {
	res := run(t, taskConfig(t, "exit 42"))
	assert.Equal(t, 42, res.ExitCode)
	assert.False(t, res.Successful())
}

func TestDriver_Stop(t *testing.T) {
	cfg := taskConfig(t, `trap 'echo stopping; exit 0' TERM; echo ready; while :; do sleep 0.01; done`)
	h, err := New(nil).Start(context.Background(), cfg)
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for b, _ := os.ReadFile(cfg.StdoutPath); !strings.Contains(string(b), "ready"); b, _ = os.ReadFile(cfg.StdoutPath) {
		require.True(t, time.Now().Before(deadline), "task never started")
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, h.Stop(5*time.Second))
	res := h.Wait()
	assert.True(t, res.Successful(), "the trap exits 0: %+v", res)
	out, _ := os.ReadFile(cfg.StdoutPath)
	assert.Contains(t, string(out), "stopping")
}

func TestDriver_MemoryLimit(t *testing.T) {
	// 256 MiB held by tail does not fit in a 64 MiB reservation.
	cfg := taskConfig(t, "head -c 268435456 /dev/zero | tail -c 268435456 > /dev/null")
	cfg.Resources = &api.AllocatedResources{MemoryMB: 64}
	assert.False(t, run(t, cfg).Successful())

	cfg = taskConfig(t, "head -c 268435456 /dev/zero | tail -c 268435456 > /dev/null")
	cfg.Resources = &api.AllocatedResources{MemoryMB: 1024}
	assert.True(t, run(t, cfg).Successful())
}

func TestDriver_Stats(t *testing.T) {
	cfg := taskConfig(t, "while :; do :; done")
	h, err := New(nil).Start(context.Background(), cfg)
	require.NoError(t, err)
	defer h.Stop(0)
	deadline := time.Now().Add(10 * time.Second)
	var u *drivers.ResourceUsage
	for u = h.Stats(); u.CPUPercent < 20 && time.Now().Before(deadline); u = h.Stats() {
		time.Sleep(50 * time.Millisecond)
	}
	assert.GreaterOrEqual(t, u.CPUPercent, 20.0)
	assert.NotZero(t, u.MemoryBytes)
	assert.False(t, u.Timestamp.IsZero())
	require.NoError(t, h.Stop(0))
	assert.Equal(t, int(syscall.SIGKILL), h.Wait().Signal)
}

func TestDriver_Validate(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		wantErr string
	}{
		{"ok", map[string]any{"command": "/bin/true"}, ""},
		{"ok with args", map[string]any{"command": "echo", "args": []any{"a", "b"}}, ""},
		{"ok with string args", map[string]any{"command": "echo", "args": []string{"a"}}, ""},
		{"missing command", map[string]any{}, `"command" is missing`},
		{"empty command", map[string]any{"command": ""}, `"command" is empty`},
		{"command not string", map[string]any{"command": 7}, `"command" must be a string, got int`},
		{"args not list", map[string]any{"command": "x", "args": "a b"}, `"args" must be a list of strings`},
		{"arg not string", map[string]any{"command": "x", "args": []any{"a", 1}}, `"args"[1] must be a string`},
		{"unknown field", map[string]any{"command": "x", "image": "y"}, `unknown field "image"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(nil).Validate(tt.config)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, drivers.ErrBadConfig)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestDriver_StartMissingProgram(t *testing.T) {
	cfg := taskConfig(t, "")
	cfg.Config = map[string]any{"command": "/no/such/program"}
	_, err := New(nil).Start(context.Background(), cfg)
	assert.ErrorContains(t, err, "/no/such/program")
}

func TestDriver_Fingerprint(t *testing.T) {
	d := New(nil)
	assert.Equal(t, "exec", d.Name())
	assert.Equal(t, map[string]string{"driver.exec": "1"}, d.Fingerprint())
}
