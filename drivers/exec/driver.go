package exec

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"

	"github.com/constellation-sched/constellation/drivers"
	"github.com/constellation-sched/constellation/drivers/internal/proc"
)

// Name is the driver name jobs use.
const Name = "exec"

// Driver runs tasks as plain processes.
type Driver struct {
	log *slog.Logger
}

var _ drivers.Driver = (*Driver)(nil)

// New returns an exec driver logging to log (slog.Default() when nil).
func New(log *slog.Logger) *Driver {
	if log == nil {
		log = slog.Default()
	}
	return &Driver{log: log}
}

// Name returns "exec".
func (d *Driver) Name() string {
	return Name
}

// Fingerprint returns driver.exec = "1" on Linux, where process groups,
// prlimit and /proc are available; nil elsewhere.
func (d *Driver) Fingerprint() map[string]string {
	if runtime.GOOS != "linux" {
		return nil
	}
	return map[string]string{"driver.exec": "1"}
}

// Validate checks that config has a non-empty "command" string, "args" as
// a list of strings, and nothing else.
func (d *Driver) Validate(config map[string]any) error {
	if err := proc.CheckKeys(config, "command", "args"); err != nil {
		return err
	}
	_, err := proc.ParseCommand(config)
	return err
}

// Start launches the task's process. ctx bounds only the start.
func (d *Driver) Start(ctx context.Context, cfg *drivers.TaskConfig) (drivers.TaskHandle, error) {
	if err := d.Validate(cfg.Config); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start task %s: %w", cfg.TaskName, err)
	}
	cmd, _ := proc.ParseCommand(cfg.Config)
	spec := &proc.Spec{
		Path:       cmd.Command,
		Args:       cmd.Args,
		Env:        proc.EnvList(proc.TaskEnv(cfg, nil)),
		Dir:        cfg.TaskDir,
		StdoutPath: cfg.StdoutPath,
		StderrPath: cfg.StderrPath,
	}
	if cfg.Resources != nil && cfg.Resources.MemoryMB > 0 {
		spec.AddressSpaceLimit = uint64(cfg.Resources.MemoryMB) << 20
	}
	p, err := proc.Start(spec)
	if err != nil {
		return nil, fmt.Errorf("start task %s: %w", cfg.TaskName, err)
	}
	d.log.Info("task started", "driver", Name, "alloc_id", cfg.AllocID,
		"task", cfg.TaskName, "pid", p.PID())
	return p, nil
}
