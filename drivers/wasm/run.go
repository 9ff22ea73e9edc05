package wasm

import (
	"fmt"
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// runState is what the task's goroutine holds while the module runs.
type runState struct {
	store *wasmtime.Store
	w     *watch
	// mem is the module's exported memory; nil when it exports none.
	mem   *wasmtime.Memory
	start *wasmtime.Func
	// pipeDir holds the stdio pipes; stdout and stderr copy them to the
	// task's log files.
	pipeDir        string
	stdout, stderr *stdioPipe
	copying        bool
}

// setup creates the task's store with its limits, WASI context and watch,
// and instantiates the module. On error it releases what it made.
func (h *taskHandle) setup(mod *wasmtime.Module) (r *runState, err error) {
	r = &runState{store: wasmtime.NewStore(h.d.engine)}
	defer func() {
		if err != nil {
			h.teardown(r)
		}
	}()

	// Limits: memory through the store's limiter, so that memory.grow past
	// it fails; fuel; and the epoch watch for timeouts and Stop.
	r.store.Limiter(int64(h.memoryMB)<<20, -1, -1, -1, -1)
	if err := r.store.SetFuel(h.fuel); err != nil {
		return r, fmt.Errorf("set fuel: %w", err)
	}
	w := newWatch(r.store, h.fuel, h.tc.Timeout)
	h.mu.Lock()
	r.w, h.w = w, w
	h.mu.Unlock()

	wasi, err := h.wasiConfig(r)
	if err != nil {
		return r, err
	}
	r.store.SetWasi(wasi)
	r.stdout.start()
	r.stderr.start()
	r.copying = true

	inst, err := h.d.linker.Instantiate(r.store, mod)
	if err != nil {
		return r, fmt.Errorf("instantiate module: %w", err)
	}
	if ext := inst.GetExport(r.store, "memory"); ext != nil && ext.Memory() != nil {
		r.mem = ext.Memory()
		r.w.setMemory(r.mem)
	}
	r.start = inst.GetFunc(r.store, "_start")
	if r.start == nil {
		return r, fmt.Errorf("module exports no _start function: " +
			"build it as a WASI command (for Go, GOOS=wasip1 GOARCH=wasm)")
	}
	return r, nil
}

// wasiConfig builds the module's WASI context: argv, environment, stdio
// pipes into the task's log files, and its preopened directories.
func (h *taskHandle) wasiConfig(r *runState) (_ *wasmtime.WasiConfig, err error) {
	wasi := wasmtime.NewWasiConfig()
	defer func() {
		if err != nil {
			wasi.Close()
		}
	}()
	wasi.SetArgv(append([]string{moduleName(h.tc.Module)}, h.tc.Args...))
	wasi.SetEnv(sortedEnv(guestEnv(h.cfg.Env)))

	dir, err := os.MkdirTemp("", "constellation-wasm-")
	if err != nil {
		return nil, fmt.Errorf("create stdio dir: %w", err)
	}
	r.pipeDir = dir
	if r.stdout, err = newStdioPipe(dir, "stdout", h.cfg.StdoutPath); err != nil {
		return nil, err
	}
	if r.stderr, err = newStdioPipe(dir, "stderr", h.cfg.StderrPath); err != nil {
		return nil, err
	}
	if err := wasi.SetStdoutFile(r.stdout.Path); err != nil {
		return nil, fmt.Errorf("connect stdout: %w", err)
	}
	if err := wasi.SetStderrFile(r.stderr.Path); err != nil {
		return nil, fmt.Errorf("connect stderr: %w", err)
	}

	if err := h.preopen(wasi); err != nil {
		return nil, err
	}
	return wasi, nil
}

// preopen gives the module its directories: the task directory as "/" and
// ".", the allocation directory as /alloc, and config.mounts.
func (h *taskHandle) preopen(wasi *wasmtime.WasiConfig) error {
	type dir struct {
		host, guest string
		readOnly    bool
	}
	dirs := []dir{{h.cfg.TaskDir, "/", false}, {h.cfg.TaskDir, ".", false}}
	if h.cfg.AllocDir != "" {
		dirs = append(dirs, dir{h.cfg.AllocDir, allocGuestDir, false})
	}
	for _, m := range h.mounts {
		dirs = append(dirs, dir{m.Host, m.Guest, m.ReadOnly})
	}

	for _, d := range dirs {
		dirPerms := wasmtime.DIR_READ | wasmtime.DIR_WRITE
		filePerms := wasmtime.FILE_READ | wasmtime.FILE_WRITE
		if d.readOnly {
			dirPerms, filePerms = wasmtime.DIR_READ, wasmtime.FILE_READ
		}
		if err := wasi.PreopenDir(d.host, d.guest, dirPerms, filePerms); err != nil {
			return fmt.Errorf("preopen %s as %s: %w", d.host, d.guest, err)
		}
	}
	return nil
}

// memoryBytes is the size of the module's memory now.
func (r *runState) memoryBytes() uint64 {
	if r.mem == nil {
		return 0
	}
	return uint64(r.mem.DataSize(r.store))
}

// teardown records the final usage, closes the store, frees the watch and
// drains the stdio pipes into the log files.
func (h *taskHandle) teardown(r *runState) {
	if r.w != nil {
		left, err := r.store.GetFuel()
		if err != nil {
			left = r.w.fuelLeft()
		}
		r.w.record(left, r.memoryBytes())
	}
	r.store.Close()

	h.mu.Lock()
	if r.w != nil {
		h.final = *h.statsLocked()
		r.w.free()
		h.w = nil
	}
	h.mu.Unlock()

	// The store held the pipes' writing ends; with it closed the copies
	// reach end of file.
	for _, p := range []*stdioPipe{r.stdout, r.stderr} {
		if p != nil {
			p.wait(r.copying)
		}
	}
	if r.pipeDir != "" {
		_ = os.RemoveAll(r.pipeDir)
	}
}

// guestEnv returns the task's environment with the directory variables the
// client sets rewritten to the paths the module sees them at.
func guestEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = v
	}
	if _, ok := out["CONSTELLATION_ALLOC_DIR"]; ok {
		out["CONSTELLATION_ALLOC_DIR"] = "/alloc"
	}
	if _, ok := out["CONSTELLATION_TASK_DIR"]; ok {
		out["CONSTELLATION_TASK_DIR"] = "/"
	}
	return out
}
