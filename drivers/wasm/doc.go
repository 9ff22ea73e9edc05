// Package wasm is the WebAssembly task driver: it runs WASI preview 1
// command modules (for Go, GOOS=wasip1 GOARCH=wasm) in wasmtime.
//
// A Driver holds one wasmtime engine, with fuel metering and epoch
// interruption enabled, and a goroutine that advances the engine's epoch
// every EpochInterval. Each task gets its own store on its own goroutine, so
// a runaway module never blocks the driver or the agent.
//
// # Task config
//
//	module    path of the .wasm file on the client (absolute, or relative to
//	          the agent's working directory) or an http(s) URL
//	sha256    hex sha256 of the module; required for a URL, checked when
//	          given for a path
//	args      []string; argv[0] is the module's file name
//	fuel      instruction budget; 0 (the default) for none
//	memory_mb memory limit in MiB; defaults to the task's memory resource,
//	          else DefaultMemoryMB
//	timeout   wall-clock limit, a Go duration such as "30s"
//	mounts    list of {host, guest, readonly}: extra preopened directories
//
// The module sees the task's environment, its task directory as "/" (and
// "."), the allocation directory as /alloc and its mounts; its stdout and
// stderr are appended to the task's log files.
//
// # How a task ends
//
// WASI proc_exit(0), or _start returning, is success; another exit status
// is the ExitResult's ExitCode. Running out of fuel, hitting the memory
// limit, passing the timeout and being stopped end the task with an
// ExitResult.Err wrapping ErrOutOfFuel, ErrMemoryLimit, ErrTimeout or
// ErrStopped, whose message names the limit and the setting to raise; other
// traps wrap ErrTrap with wasmtime's message.
//
// Timeouts and Stop work through each store's epoch deadline callback,
// which runs on the thread executing the module and checks a stop flag and
// a deadline; that callback also samples fuel and memory for Stats. Nothing
// touches a store from another goroutine.
//
// # Module cache
//
// Compiled modules are kept in memory and serialized into Options.CacheDir,
// keyed by the sha256 of their wasm bytes, so that a second task or a
// restarted agent does not compile the same module again. CacheStats counts
// compiles and cache hits. Serialized modules are trusted when loaded: the
// cache directory must be writable by the agent only.
package wasm
