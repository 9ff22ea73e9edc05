// Package drivers defines the task driver interface: what the client agent
// needs to start, watch and stop a task, whatever runs it. Each driver lives
// in its own package below this one (wasm, exec, gpu, function) and never
// imports the client.
package drivers
