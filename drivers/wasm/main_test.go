package wasm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
	"github.com/constellation-sched/constellation/internal/repo"
)

// examples names the example modules the tests build.
var examples = []string{"hello", "fail", "spin", "hog", "ticker", "taxi"}

// modules maps an example's name to its built .wasm file.
var modules = map[string]string{}

// sharedCacheDir is the module cache of drivers that tests make with no
// cache dir of their own, so each example is compiled once per test run.
var sharedCacheDir string

// repoRoot is the folder holding go.mod.
var repoRoot string

// testWait bounds how long a test waits for a task to end.
const testWait = 2 * time.Minute

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasm-examples-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "create module dir: %v\n", err)
		os.Exit(1)
	}
	sharedCacheDir = filepath.Join(dir, "cache")
	code := 1
	if err := buildExamples(dir); err != nil {
		fmt.Fprintf(os.Stderr, "FATAL: cannot build the example modules: %v\n", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildExamples compiles examples/wasm/<name> into dir for wasip1.
func buildExamples(dir string) error {
	root, err := repo.Root()
	if err != nil {
		return err
	}
	repoRoot = root
	for _, name := range examples {
		out := filepath.Join(dir, name+".wasm")
		cmd := exec.Command("go", "build", "-o", out, "./examples/wasm/"+name)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", name, err, msg)
		}
		modules[name] = out
	}
	return nil
}

// nabDir is NAB's realKnownCause folder, next to the repository.
func nabDir() string {
	return filepath.Join(repoRoot, "..", "shared", "data", "nab", "data", "realKnownCause")
}

// newTestDriver returns a driver closed at the end of the test. An empty
// cacheDir shares the test run's module cache.
func newTestDriver(t testing.TB, cacheDir string) *Driver {
	t.Helper()
	if cacheDir == "" {
		cacheDir = sharedCacheDir
	}
	d, err := New(Options{CacheDir: cacheDir})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

// newTaskConfig returns a task config with its own directories and log
// files, running config.
func newTaskConfig(t testing.TB, config map[string]any) *drivers.TaskConfig {
	t.Helper()
	alloc := t.TempDir()
	task := filepath.Join(alloc, "task")
	require.NoError(t, os.Mkdir(task, 0o755))
	return &drivers.TaskConfig{
		AllocID:    "alloc-1",
		JobID:      "job-1",
		Group:      "g",
		TaskName:   "t",
		Config:     config,
		Env:        map[string]string{},
		Resources:  &api.AllocatedResources{CPU: 100, MemoryMB: 128},
		AllocDir:   alloc,
		TaskDir:    task,
		StdoutPath: filepath.Join(alloc, "stdout.log"),
		StderrPath: filepath.Join(alloc, "stderr.log"),
	}
}

// runTask starts cfg and waits for it to end.
func runTask(t testing.TB, d *Driver, cfg *drivers.TaskConfig) *drivers.ExitResult {
	t.Helper()
	h, err := d.Start(context.Background(), cfg)
	require.NoError(t, err)
	return waitTask(t, h)
}

// waitTask waits for h to end, failing the test after testWait.
func waitTask(t testing.TB, h drivers.TaskHandle) *drivers.ExitResult {
	t.Helper()
	ch := make(chan *drivers.ExitResult, 1)
	go func() { ch <- h.Wait() }()
	select {
	case res := <-ch:
		return res
	case <-time.After(testWait):
		t.Fatalf("task did not end within %s", testWait)
		return nil
	}
}

// readFile returns a file's content as a string.
func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
