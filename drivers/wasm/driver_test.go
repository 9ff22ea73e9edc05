package wasm

import (
	"context"
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

func TestDriver_RunsHello(t *testing.T) {
	d := newTestDriver(t, "")
	cfg := newTaskConfig(t, map[string]any{
		"module": modules["hello"],
		"args":   []any{"first", "second arg"},
	})
	cfg.Env = map[string]string{"GREETING": "hi", "ZONE": "dc1"}

	// Output from an earlier run of the task must survive.
	require.NoError(t, os.WriteFile(cfg.StdoutPath, []byte("earlier run\n"), 0o644))

	res := runTask(t, d, cfg)
	require.NoError(t, res.Err)
	assert.True(t, res.Successful())
	out := readFile(t, cfg.StdoutPath)
	assert.True(t, strings.HasPrefix(out, "earlier run\n"), "stdout was not appended to: %q", out)
	for _, want := range []string{
		"hello from hello.wasm", "arg[0]=hello.wasm", "arg[1]=first", "arg[2]=second arg",
		"env GREETING=hi", "env ZONE=dc1",
	} {
		assert.Contains(t, out, want)
	}
}

func TestDriver_ReportsExitCode(t *testing.T) {
	d := newTestDriver(t, "")
	cfg := newTaskConfig(t, map[string]any{"module": modules["fail"]})

	res := runTask(t, d, cfg)
	assert.Equal(t, 3, res.ExitCode)
	assert.NoError(t, res.Err)
	assert.False(t, res.Successful())
	assert.Contains(t, readFile(t, cfg.StderrPath), "exiting with status 3")
}

func TestDriver_EnforcesLimits(t *testing.T) {
	tests := []struct {
		name     string
		module   string
		config   map[string]any
		memoryMB int
		wantErr  error
		wantMsg  []string
	}{
		{
			name:    "fuel",
			module:  "spin",
			config:  map[string]any{"fuel": 200_000_000},
			wantErr: ErrOutOfFuel,
			wantMsg: []string{"fuel after 200000000 units", "raise config.fuel"},
		},
		{
			name:    "timeout",
			module:  "spin",
			config:  map[string]any{"timeout": "300ms"},
			wantErr: ErrTimeout,
			wantMsg: []string{"timeout of 300ms", "raise config.timeout"},
		},
		{
			name:    "timeout while sleeping",
			module:  "ticker",
			config:  map[string]any{"timeout": "500ms"},
			wantErr: ErrTimeout,
			wantMsg: []string{"timeout of 500ms"},
		},
		{
			name:    "memory_mb",
			module:  "hog",
			config:  map[string]any{"memory_mb": 64},
			wantErr: ErrMemoryLimit,
			wantMsg: []string{"memory limit of 64 MiB", "raise config.memory_mb"},
		},
		{
			name:     "memory resource",
			module:   "hog",
			config:   map[string]any{},
			memoryMB: 48,
			wantErr:  ErrMemoryLimit,
			wantMsg:  []string{"memory limit of 48 MiB"},
		},
	}
	d := newTestDriver(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.config["module"] = modules[tt.module]
			cfg := newTaskConfig(t, tt.config)
			if tt.memoryMB > 0 {
				cfg.Resources.MemoryMB = tt.memoryMB
			}

			res := runTask(t, d, cfg)
			require.ErrorIs(t, res.Err, tt.wantErr)
			for _, msg := range tt.wantMsg {
				assert.Contains(t, res.Err.Error(), msg)
			}
		})
	}
}

func TestTaskHandle_StopInterruptsSpin(t *testing.T) {
	d := newTestDriver(t, "")
	cfg := newTaskConfig(t, map[string]any{"module": modules["spin"]})
	h, err := d.Start(context.Background(), cfg)
	require.NoError(t, err)

	// The module runs and enters its loop.
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(cfg.StdoutPath)
		return strings.Contains(string(b), "spin: looping forever")
	}, testWait, 10*time.Millisecond)

	require.NoError(t, h.Stop(testWait))
	res := waitTask(t, h)
	require.ErrorIs(t, res.Err, ErrStopped)
}

func TestTaskHandle_StopEndsService(t *testing.T) {
	d := newTestDriver(t, "")
	cfg := newTaskConfig(t, map[string]any{"module": modules["ticker"]})
	cfg.Env = map[string]string{"TICKER_NAME": "svc"}
	h, err := d.Start(context.Background(), cfg)
	require.NoError(t, err)

	// Two ticks show the service keeps running across its sleeps; its
	// fuel use, sampled while it runs, grows between them.
	tickSeen := func(n string) func() bool {
		return func() bool {
			b, _ := os.ReadFile(cfg.StdoutPath)
			return strings.Contains(string(b), "svc: tick "+n+" ")
		}
	}
	require.Eventually(t, tickSeen("1"), testWait, 20*time.Millisecond)
	first := h.Stats()
	require.Eventually(t, tickSeen("2"), testWait, 20*time.Millisecond)
	require.Eventually(t, func() bool { return h.Stats().Fuel > first.Fuel }, testWait, 20*time.Millisecond)
	assert.Greater(t, h.Stats().MemoryBytes, uint64(0))

	require.NoError(t, h.Stop(testWait))
	res := waitTask(t, h)
	require.ErrorIs(t, res.Err, ErrStopped)
}

func TestTaskHandle_Stats(t *testing.T) {
	d := newTestDriver(t, "")
	cfg := newTaskConfig(t, map[string]any{"module": modules["spin"], "fuel": 50_000_000})
	h, err := d.Start(context.Background(), cfg)
	require.NoError(t, err)
	res := waitTask(t, h)
	require.ErrorIs(t, res.Err, ErrOutOfFuel)

	// Every unit of the budget was used.
	stats := h.Stats()
	assert.Equal(t, uint64(50_000_000), stats.Fuel)
	assert.Greater(t, stats.MemoryBytes, uint64(0))
}

func TestDriver_StartErrors(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		wantMsg string
	}{
		{"missing module", map[string]any{"module": "no/such/module.wasm"}, "check config.module"},
		{"bad sha256", map[string]any{"module": modules["hello"], "sha256": strings.Repeat("ab", 32)},
			"fix config.sha256"},
		{"missing mount", map[string]any{
			"module": modules["hello"],
			"mounts": []any{map[string]any{"host": "/no/such/dir", "guest": "/data"}},
		}, "point it at an existing directory"},
	}
	d := newTestDriver(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Start(context.Background(), newTaskConfig(t, tt.config))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantMsg)
			if tt.name != "bad sha256" {
				assert.ErrorIs(t, err, drivers.ErrBadConfig, "a config the user must fix is not retried")
			}
		})
	}

	t.Run("memory above the reservation", func(t *testing.T) {
		cfg := newTaskConfig(t, map[string]any{"module": modules["hello"], "memory_mb": 1024})
		cfg.Resources = &api.AllocatedResources{CPU: 100, MemoryMB: 16}
		_, err := d.Start(context.Background(), cfg)
		require.ErrorIs(t, err, drivers.ErrBadConfig)
		assert.Contains(t, err.Error(), "raise resources.memory")
	})
}

func TestDriver_GuestSeesItsOwnDirectories(t *testing.T) {
	d := newTestDriver(t, "")
	cfg := newTaskConfig(t, map[string]any{"module": modules["hello"]})
	cfg.Env = map[string]string{"CONSTELLATION_ALLOC_DIR": cfg.AllocDir, "CONSTELLATION_TASK_DIR": cfg.TaskDir}
	res := runTask(t, d, cfg)
	require.NoError(t, res.Err)
	out := readFile(t, cfg.StdoutPath)
	assert.Contains(t, out, "env CONSTELLATION_ALLOC_DIR=/alloc")
	assert.Contains(t, out, "env CONSTELLATION_TASK_DIR=/")
}

func TestDriver_Fingerprint(t *testing.T) {
	d := newTestDriver(t, "")
	fp := d.Fingerprint()
	assert.Equal(t, "1", fp["driver.wasm"])
	assert.NotEmpty(t, fp["driver.wasm.version"])
	assert.Equal(t, "wasm", d.Name())
}

func TestDriver_CloseStopsTasksAndRefusesStarts(t *testing.T) {
	d, err := New(Options{CacheDir: sharedCacheDir})
	require.NoError(t, err)
	h, err := d.Start(context.Background(), newTaskConfig(t, map[string]any{"module": modules["spin"]}))
	require.NoError(t, err)

	require.NoError(t, d.Close())
	require.ErrorIs(t, waitTask(t, h).Err, ErrStopped)
	_, err = d.Start(context.Background(), newTaskConfig(t, map[string]any{"module": modules["hello"]}))
	require.ErrorIs(t, err, ErrClosed)
}

func TestDriver_PreopensDirectories(t *testing.T) {
	readOnly := t.TempDir()
	tests := []struct {
		name     string
		file     string
		wantHost func(cfg *drivers.TaskConfig) string
		wantExit int
	}{
		{"task dir as root", "/greeting.txt",
			func(cfg *drivers.TaskConfig) string { return filepath.Join(cfg.TaskDir, "greeting.txt") }, 0},
		{"task dir as working dir", "greeting.txt",
			func(cfg *drivers.TaskConfig) string { return filepath.Join(cfg.TaskDir, "greeting.txt") }, 0},
		{"alloc dir", "/alloc/greeting.txt",
			func(cfg *drivers.TaskConfig) string { return filepath.Join(cfg.AllocDir, "greeting.txt") }, 0},
		{"read-only mount", "/ro/greeting.txt", nil, 1},
	}
	d := newTestDriver(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newTaskConfig(t, map[string]any{
				"module": modules["hello"],
				"mounts": []any{map[string]any{"host": readOnly, "guest": "/ro", "readonly": true}},
			})
			cfg.Env = map[string]string{"HELLO_FILE": tt.file}

			res := runTask(t, d, cfg)
			require.NoError(t, res.Err)
			require.Equal(t, tt.wantExit, res.ExitCode, "stderr: %s", readFile(t, cfg.StderrPath))
			if tt.wantHost != nil {
				assert.Equal(t, "hello\n", readFile(t, tt.wantHost(cfg)))
				return
			}
			assert.NoFileExists(t, filepath.Join(readOnly, "greeting.txt"))
		})
	}
}
