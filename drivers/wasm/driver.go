package wasm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/constellation-sched/constellation/drivers"
)

const (
	// DriverName is the name jobs use for this driver.
	DriverName = "wasm"

	// EpochInterval is how often the driver advances the engine's epoch:
	// the granularity of timeouts and of fuel and memory samples.
	EpochInterval = 10 * time.Millisecond

	// DefaultMemoryMB is the memory limit of a task that sets neither
	// config.memory_mb nor a memory resource.
	DefaultMemoryMB = 256

	// maxMemoryMB is the most a 32-bit linear memory can address.
	maxMemoryMB = 4096

	// allocGuestDir is where the allocation directory appears to modules.
	allocGuestDir = "/alloc"

	// wasmtimeModule is the Go module whose version the fingerprint reports.
	wasmtimeModule = "github.com/bytecodealliance/wasmtime-go/v39"
)

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("wasm driver closed")

// Options configures a Driver.
type Options struct {
	// CacheDir is where compiled modules are kept across restarts; empty
	// keeps them in memory only. Modules found there are loaded without
	// verification, so only the agent may write to it.
	CacheDir string
	// Logger receives the driver's logs; nil uses slog.Default.
	Logger *slog.Logger
}

// Driver runs WebAssembly modules (WASI preview 1 commands) in wasmtime.
// All tasks share one engine; each runs in its own store on its own
// goroutine, limited by fuel, memory and a wall-clock deadline.
type Driver struct {
	engine *wasmtime.Engine
	linker *wasmtime.Linker
	cache  *moduleCache
	logger *slog.Logger

	// stopTicker ends the epoch ticker; tickerDone is closed once it ended.
	stopTicker chan struct{}
	tickerDone chan struct{}

	mu sync.Mutex // guards tasks and closed
	// tasks holds the tasks that have not ended.
	tasks  map[*taskHandle]struct{}
	closed bool
}

var _ drivers.Driver = (*Driver)(nil)

// New returns a driver with its engine, module cache and epoch ticker
// started. Call Close to stop it.
func New(opts Options) (*Driver, error) {
	if err := checkLayout(); err != nil {
		return nil, fmt.Errorf("start wasm driver: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("driver", DriverName)

	cfg := wasmtime.NewConfig()
	cfg.SetConsumeFuel(true)
	cfg.SetEpochInterruption(true)
	engine := wasmtime.NewEngineWithConfig(cfg)

	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		return nil, fmt.Errorf("define wasi imports: %w", err)
	}
	cache, err := newModuleCache(engine, opts.CacheDir, logger)
	if err != nil {
		return nil, err
	}

	d := &Driver{
		engine:     engine,
		linker:     linker,
		cache:      cache,
		logger:     logger,
		stopTicker: make(chan struct{}),
		tickerDone: make(chan struct{}),
		tasks:      make(map[*taskHandle]struct{}),
	}
	go d.tick()
	return d, nil
}

// Name returns "wasm".
func (d *Driver) Name() string { return DriverName }

// Fingerprint returns driver.wasm = "1" and driver.wasm.version, the
// wasmtime version the driver runs.
func (d *Driver) Fingerprint() map[string]string {
	return map[string]string{
		"driver.wasm":         "1",
		"driver.wasm.version": wasmtimeVersion(),
	}
}

// Validate checks a task's driver config; its errors wrap
// drivers.ErrBadConfig and say what to change. It does not look at the
// module or the mounts, which may only exist on the client.
func (d *Driver) Validate(config map[string]any) error {
	return ValidateConfig(config)
}

// ValidateConfig checks a task's wasm config without a driver, as the CLI
// does before it submits a job. Its errors are Validate's.
func ValidateConfig(config map[string]any) error {
	_, err := parseConfig(config)
	return err
}

// Start loads (or compiles) the module, sets up its store and WASI
// context, and runs it on a new goroutine. It returns once the module is
// instantiated and its _start function called.
func (d *Driver) Start(ctx context.Context, cfg *drivers.TaskConfig) (drivers.TaskHandle, error) {
	tc, err := parseConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	if d.isClosed() {
		return nil, ErrClosed
	}
	if cfg.TaskDir == "" {
		return nil, fmt.Errorf("start wasm task %s: no task directory", cfg.TaskName)
	}
	if r := cfg.Resources; r != nil && r.MemoryMB > 0 && tc.MemoryMB > r.MemoryMB {
		return nil, badConfig("config.memory_mb %d is more than the %d MB the task's memory "+
			"resource reserves: lower config.memory_mb or raise resources.memory", tc.MemoryMB, r.MemoryMB)
	}
	mounts, err := resolveMounts(tc.Mounts)
	if err != nil {
		return nil, err
	}
	mod, err := d.cache.load(ctx, tc)
	if err != nil {
		return nil, fmt.Errorf("start wasm task %s: %w", cfg.TaskName, err)
	}

	h := newTaskHandle(d, cfg, tc, mounts)
	if !d.track(h) {
		return nil, ErrClosed
	}
	if err := h.start(mod); err != nil {
		d.untrack(h)
		return nil, fmt.Errorf("start wasm task %s: %w", cfg.TaskName, err)
	}
	d.logger.Info("wasm task started", "alloc_id", cfg.AllocID, "task", cfg.TaskName,
		"module", tc.Module, "fuel", tc.Fuel, "memory_mb", h.memoryMB, "timeout", tc.Timeout)
	return h, nil
}

// CacheStats returns how many modules the driver compiled and how many it
// found cached on disk or in memory.
func (d *Driver) CacheStats() CacheStats {
	return d.cache.stats()
}

// Close stops every running task, waiting up to closeStopTimeout for
// each, then stops the epoch ticker. Start fails after Close.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	tasks := make([]*taskHandle, 0, len(d.tasks))
	for h := range d.tasks {
		tasks = append(tasks, h)
	}
	d.mu.Unlock()

	for _, h := range tasks {
		_ = h.Stop(closeStopTimeout)
	}
	close(d.stopTicker)
	<-d.tickerDone
	return nil
}

// closeStopTimeout is how long Close waits for each task to stop.
const closeStopTimeout = 5 * time.Second

// tick advances the engine's epoch every EpochInterval until Close. Each
// running store's epoch callback then checks its deadline and stop flag.
func (d *Driver) tick() {
	defer close(d.tickerDone)
	t := time.NewTicker(EpochInterval)
	defer t.Stop()
	for {
		select {
		case <-d.stopTicker:
			return
		case <-t.C:
			d.engine.IncrementEpoch()
		}
	}
}

// track records a starting task; it reports false after Close.
func (d *Driver) track(h *taskHandle) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.tasks[h] = struct{}{}
	return true
}

// isClosed reports whether Close was called.
func (d *Driver) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// untrack forgets an ended task.
func (d *Driver) untrack(h *taskHandle) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.tasks, h)
}

// resolveMounts makes mount host paths absolute (relative ones are taken
// from the agent's working directory) and checks they are directories.
func resolveMounts(ms []mount) ([]mount, error) {
	out := make([]mount, 0, len(ms))
	for i, m := range ms {
		abs, err := filepath.Abs(m.Host)
		if err != nil {
			return nil, fmt.Errorf("resolve config.mounts[%d].host: %w", i, err)
		}
		if err := checkDir(abs); err != nil {
			return nil, fmt.Errorf("%w: config.mounts[%d].host %s: %v: point it at an existing directory "+
				"(a relative path is taken from the agent's working directory)",
				drivers.ErrBadConfig, i, abs, err)
		}
		m.Host = abs
		out = append(out, m)
	}
	return out, nil
}

// moduleName is argv[0] for a module: the last element of its path or URL.
func moduleName(module string) string {
	if i := strings.IndexAny(module, "?#"); i >= 0 && strings.Contains(module, "://") {
		module = module[:i]
	}
	return path.Base(filepath.ToSlash(module))
}

// sortedEnv returns env's keys in order and their values.
func sortedEnv(env map[string]string) (keys, values []string) {
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		values = append(values, env[k])
	}
	return keys, values
}

// wasmtimeVersion is the version of wasmtime-go in the binary.
func wasmtimeVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == wasmtimeModule {
				return strings.TrimPrefix(dep.Version, "v")
			}
		}
	}
	return "39"
}
