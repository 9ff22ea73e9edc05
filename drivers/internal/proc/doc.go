// Package proc runs a task as a plain host process: in its own process
// group, with its output appended to files, an optional address-space
// limit, and resource use read from /proc. The exec and gpu drivers are
// both built on it.
//
// A process killed by a signal reports that signal in ExitResult.Signal
// and 128 plus it in ExitCode, as shells do.
package proc
