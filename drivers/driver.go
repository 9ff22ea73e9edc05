package drivers

import (
	"context"
	"errors"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// ErrBadConfig is returned by Validate and Start when a task's driver
// config is malformed; the message says which field to change.
var ErrBadConfig = errors.New("invalid driver config")

// TaskConfig is everything a driver needs to start one task.
type TaskConfig struct {
	AllocID  string
	JobID    string
	Group    string
	TaskName string
	// Config is the task's driver block, as decoded from the job.
	Config map[string]any
	Env    map[string]string
	// Resources is what the scheduler reserved for the task, devices
	// included.
	Resources *api.AllocatedResources
	// AllocDir is the allocation's directory, shared by its tasks.
	AllocDir string
	// TaskDir is the task's own working directory inside AllocDir.
	TaskDir string
	// StdoutPath and StderrPath are the files the task's output goes to.
	StdoutPath string
	StderrPath string
}

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode int
	Signal   int
	// Err is set when the task did not end by itself: a limit was hit,
	// the module trapped, the process could not be waited on. Its message
	// names the limit or the cause.
	Err error
}

// Successful reports whether the task exited by itself with status 0.
func (r *ExitResult) Successful() bool {
	return r != nil && r.Err == nil && r.ExitCode == 0 && r.Signal == 0
}

// ResourceUsage is a sample of what a running task uses.
type ResourceUsage struct {
	CPUPercent  float64
	MemoryBytes uint64
	// Fuel is the WebAssembly fuel consumed so far, where metered.
	Fuel      uint64
	Timestamp time.Time
}

// Driver starts tasks of one kind.
type Driver interface {
	// Name is the driver name used in jobs, such as "wasm".
	Name() string
	// Fingerprint returns node attributes the driver contributes, such as
	// "driver.wasm" = "1"; nil when the driver cannot run on this node.
	Fingerprint() map[string]string
	// Validate checks a task's driver config without running it.
	Validate(config map[string]any) error
	// Start launches the task and returns once it runs.
	Start(ctx context.Context, cfg *TaskConfig) (TaskHandle, error)
}

// TaskHandle is a running task.
type TaskHandle interface {
	// Wait blocks until the task ends and returns how it ended. It may be
	// called more than once.
	Wait() *ExitResult
	// Stop asks the task to end, and kills it after timeout.
	Stop(timeout time.Duration) error
	// Stats samples the task's resource use.
	Stats() *ResourceUsage
}
