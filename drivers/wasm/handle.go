package wasm

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/constellation-sched/constellation/drivers"
)

// Errors a task's ExitResult.Err wraps, to tell with errors.Is which limit
// ended it.
var (
	// ErrOutOfFuel is wrapped when the module used up config.fuel.
	ErrOutOfFuel = errors.New("wasm task ran out of fuel")
	// ErrMemoryLimit is wrapped when the module ended after its memory
	// could not grow past its limit.
	ErrMemoryLimit = errors.New("wasm task hit its memory limit")
	// ErrTimeout is wrapped when the module ran past config.timeout.
	ErrTimeout = errors.New("wasm task timed out")
	// ErrStopped is wrapped when the task was stopped with Stop.
	ErrStopped = errors.New("wasm task stopped")
	// ErrTrap is wrapped when the module trapped for another reason.
	ErrTrap = errors.New("wasm task trapped")
)

// watchdogGrace is how long past its timeout a task that is blocked in a
// host call (and so never reaches an epoch check) is declared timed out.
const watchdogGrace = time.Second

// taskHandle is one running module. Its goroutine owns the store; other
// goroutines reach the store only through the watch.
type taskHandle struct {
	d        *Driver
	cfg      *drivers.TaskConfig
	tc       *taskConfig
	mounts   []mount
	memoryMB int
	fuel     uint64 // initial fuel of the store

	done   chan struct{}
	once   sync.Once
	result *drivers.ExitResult

	mu sync.Mutex // guards w and final
	// w is the store's watch; nil once the store is closed.
	w *watch
	// final is the last usage sample, kept once the store is closed.
	final drivers.ResourceUsage
}

// newTaskHandle returns a handle for a task not yet started.
func newTaskHandle(d *Driver, cfg *drivers.TaskConfig, tc *taskConfig, mounts []mount) *taskHandle {
	h := &taskHandle{
		d:        d,
		cfg:      cfg,
		tc:       tc,
		mounts:   mounts,
		memoryMB: tc.MemoryMB,
		fuel:     tc.Fuel,
		done:     make(chan struct{}),
	}
	if h.memoryMB == 0 && cfg.Resources != nil {
		h.memoryMB = cfg.Resources.MemoryMB
	}
	if h.memoryMB <= 0 {
		h.memoryMB = DefaultMemoryMB
	}
	if h.fuel == 0 {
		h.fuel = unlimitedFuel
	}
	return h
}

// Wait blocks until the task ends and returns how it ended.
func (h *taskHandle) Wait() *drivers.ExitResult {
	<-h.done
	return h.result
}

// Stop interrupts the module at its next epoch check and waits up to
// timeout for it to end. A module blocked in a host call (a long sleep)
// only reaches that check when the call returns; if that takes longer than
// timeout, the task is reported stopped anyway and its goroutine ends when
// the call returns.
func (h *taskHandle) Stop(timeout time.Duration) error {
	h.mu.Lock()
	if h.w != nil {
		h.w.stop()
	}
	h.mu.Unlock()

	// Advance the epoch now rather than at the next tick: the store's
	// callback runs on its own thread and sees the stop flag.
	h.d.engine.IncrementEpoch()

	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-h.done:
	case <-t.C:
		// TODO: a module blocked in a host call cannot be interrupted by
		// wasmtime's epochs; its goroutine and store live on until the call
		// returns. Interrupting WASI's blocking calls needs async WASI.
		h.finish(&drivers.ExitResult{Err: fmt.Errorf(
			"%w: still blocked in a host call %s after the stop request", ErrStopped, timeout)})
	}
	return nil
}

// Stats returns the fuel consumed and the memory size at the last epoch
// sample, or at the end of the run. While the module runs, the fuel figure
// is as of the last function call or return before the sample: a loop that
// calls nothing does not publish its fuel use until it leaves the loop.
func (h *taskHandle) Stats() *drivers.ResourceUsage {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.w == nil {
		u := h.final
		return &u
	}
	return h.statsLocked()
}

// statsLocked samples the watch; h.mu must be held and h.w set.
func (h *taskHandle) statsLocked() *drivers.ResourceUsage {
	// TODO: CPUPercent is not measured; wasmtime has no per-store CPU
	// clock and a store may move between OS threads.
	return &drivers.ResourceUsage{
		MemoryBytes: h.w.memoryBytes(),
		Fuel:        h.fuel - h.w.fuelLeft(),
		Timestamp:   time.Now(),
	}
}

// start sets the module up on a new goroutine and returns once it runs, or
// with the reason it could not.
func (h *taskHandle) start(mod *wasmtime.Module) error {
	ready := make(chan error, 1)
	go h.run(mod, ready)
	if err := <-ready; err != nil {
		return err
	}
	if h.tc.Timeout > 0 {
		wd := time.AfterFunc(h.tc.Timeout+watchdogGrace, func() {
			h.finish(&drivers.ExitResult{Err: h.timeoutErr()})
		})
		go func() { <-h.done; wd.Stop() }()
	}
	return nil
}

// run owns the task's store: it instantiates the module, reports on ready,
// calls _start and records how the run ended.
func (h *taskHandle) run(mod *wasmtime.Module, ready chan<- error) {
	r, err := h.setup(mod)
	if err != nil {
		ready <- err
		return
	}
	ready <- nil

	_, callErr := r.start.Call(r.store)
	res := h.classify(callErr, r)
	h.teardown(r)

	h.d.logger.Info("wasm task ended", "alloc_id", h.cfg.AllocID, "task", h.cfg.TaskName,
		"exit_code", res.ExitCode, "error", res.Err)
	h.finish(res)
}

// finish publishes the task's result once; later calls are ignored.
func (h *taskHandle) finish(res *drivers.ExitResult) {
	h.once.Do(func() {
		h.result = res
		h.d.untrack(h)
		close(h.done)
	})
}

// classify turns how _start returned into an ExitResult.
func (h *taskHandle) classify(err error, r *runState) *drivers.ExitResult {
	if err == nil {
		return &drivers.ExitResult{}
	}
	switch r.w.reason() {
	case watchStopped:
		return &drivers.ExitResult{Err: ErrStopped}
	case watchDeadline:
		return &drivers.ExitResult{Err: h.timeoutErr()}
	}
	if isOutOfFuel(err) {
		return &drivers.ExitResult{Err: fmt.Errorf("%w after %d units: raise config.fuel",
			ErrOutOfFuel, h.tc.Fuel)}
	}

	res := &drivers.ExitResult{}
	var werr *wasmtime.Error
	if errors.As(err, &werr) {
		if code, ok := werr.ExitStatus(); ok {
			if code == 0 {
				return res
			}
			res.ExitCode = int(code)
		}
	}

	// A module whose memory stopped growing just short of the limit and
	// that then failed is taken to have failed for memory.
	// TODO: wasmtime's C API reports no refused memory.grow, so this is an
	// inference from the final memory size; a custom limiter would make it
	// exact.
	if used := r.memoryBytes(); h.nearMemoryLimit(used) {
		res.Err = fmt.Errorf("%w of %d MiB (memory at %.1f MiB, %s): "+
			"raise config.memory_mb or the task's memory resource",
			ErrMemoryLimit, h.memoryMB, float64(used)/(1<<20), describeEnd(res.ExitCode, err))
		return res
	}
	if res.ExitCode == 0 {
		res.Err = fmt.Errorf("%w: %s", ErrTrap, firstLine(err.Error()))
	}
	return res
}

// timeoutErr is the error of a task that ran past config.timeout.
func (h *taskHandle) timeoutErr() error {
	return fmt.Errorf("%w after running longer than its timeout of %s: raise config.timeout",
		ErrTimeout, h.tc.Timeout)
}

// nearMemoryLimit reports whether a memory of used bytes is close enough
// to the limit that its next growth would have been refused: within an
// eighth of the limit, or 4 MiB (the heap arena Go's runtime grows by).
func (h *taskHandle) nearMemoryLimit(used uint64) bool {
	limit := uint64(h.memoryMB) << 20
	margin := max(limit/8, 4<<20)
	return used+margin > limit
}

// isOutOfFuel reports whether err is wasmtime's out-of-fuel trap.
func isOutOfFuel(err error) bool {
	var trap *wasmtime.Trap
	if errors.As(err, &trap) {
		if code := trap.Code(); code != nil && *code == wasmtime.OutOfFuel {
			return true
		}
	}
	return strings.Contains(err.Error(), "all fuel consumed")
}

// describeEnd says how a module ended, for an error message.
func describeEnd(exitCode int, err error) string {
	if exitCode != 0 {
		return fmt.Sprintf("exited with code %d", exitCode)
	}
	return "trapped: " + firstLine(err.Error())
}

// firstLine returns the cause in wasmtime's error text, which goes on with
// backtraces: the first line after "Caused by:" when there is one, else
// the first line.
func firstLine(s string) string {
	if _, cause, ok := strings.Cut(s, "Caused by:"); ok {
		s = cause
	}
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// checkDir returns an error unless path is a directory.
func checkDir(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return errors.New("not a directory")
	}
	return nil
}
