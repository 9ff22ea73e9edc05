package gpu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"

	"github.com/constellation-sched/constellation/drivers"
	"github.com/constellation-sched/constellation/drivers/internal/proc"
)

// Name is the driver name jobs use.
const Name = "gpu"

// DefaultMPSPipeDirectory is where the MPS control daemon's pipes are
// looked for when the task config does not say.
const DefaultMPSPipeDirectory = "/tmp/nvidia-mps"

// ErrNoDevices is returned by Start for a task that was assigned no
// device; such a task belongs to the exec driver.
var ErrNoDevices = errors.New("task has no devices assigned")

// Options configures the driver.
type Options struct {
	// SysfsRoot is where sysfs is mounted; "/sys" when empty. It is read
	// to number AMD and Intel GPUs.
	SysfsRoot string
	// Logger receives lifecycle messages; slog.Default() when nil.
	Logger *slog.Logger
}

// Driver runs processes bound to GPUs.
type Driver struct {
	sysfsRoot string
	log       *slog.Logger
}

var _ drivers.Driver = (*Driver)(nil)

// New returns a gpu driver.
func New(opts Options) *Driver {
	d := &Driver{sysfsRoot: opts.SysfsRoot, log: opts.Logger}
	if d.sysfsRoot == "" {
		d.sysfsRoot = "/sys"
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d
}

// Name returns "gpu".
func (d *Driver) Name() string {
	return Name
}

// Fingerprint returns driver.gpu = "1" on Linux; nil elsewhere. Whether a
// node has GPUs is told by its device groups, not by this attribute.
func (d *Driver) Fingerprint() map[string]string {
	if runtime.GOOS != "linux" {
		return nil
	}
	return map[string]string{"driver.gpu": "1"}
}

// Validate checks "command" and "args" as the exec driver does, and
// "mps_pipe_directory", when set, as an absolute path.
func (d *Driver) Validate(config map[string]any) error {
	if err := proc.CheckKeys(config, "command", "args", "mps_pipe_directory"); err != nil {
		return err
	}
	if _, err := proc.ParseCommand(config); err != nil {
		return err
	}
	_, err := mpsPipeDirectory(config)
	return err
}

// Start launches the task's process bound to its devices. ctx bounds only
// the start.
func (d *Driver) Start(ctx context.Context, cfg *drivers.TaskConfig) (drivers.TaskHandle, error) {
	if err := d.Validate(cfg.Config); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start task %s: %w", cfg.TaskName, err)
	}
	if cfg.Resources == nil || len(cfg.Resources.Devices) == 0 {
		return nil, fmt.Errorf("start task %s: %w: give it a device request or use the exec driver",
			cfg.TaskName, ErrNoDevices)
	}
	pipeDir, _ := mpsPipeDirectory(cfg.Config)
	devEnv, err := deviceEnv(cfg.Resources.Devices, d.sysfsRoot, pipeDir)
	if err != nil {
		return nil, fmt.Errorf("start task %s: %w", cfg.TaskName, err)
	}

	cmd, _ := proc.ParseCommand(cfg.Config)
	p, err := proc.Start(&proc.Spec{
		Path:       cmd.Command,
		Args:       cmd.Args,
		Env:        proc.EnvList(proc.TaskEnv(cfg, devEnv)),
		Dir:        cfg.TaskDir,
		StdoutPath: cfg.StdoutPath,
		StderrPath: cfg.StderrPath,
	})
	if err != nil {
		return nil, fmt.Errorf("start task %s: %w", cfg.TaskName, err)
	}
	d.log.Info("task started", "driver", Name, "alloc_id", cfg.AllocID,
		"task", cfg.TaskName, "pid", p.PID(), "devices", deviceIDs(cfg.Resources.Devices))
	return p, nil
}

// mpsPipeDirectory reads "mps_pipe_directory" from config.
func mpsPipeDirectory(config map[string]any) (string, error) {
	raw, ok := config["mps_pipe_directory"]
	if !ok {
		return DefaultMPSPipeDirectory, nil
	}
	dir, ok := raw.(string)
	if !ok || !filepath.IsAbs(dir) {
		return "", fmt.Errorf("%w: \"mps_pipe_directory\" must be an absolute path, got %v",
			drivers.ErrBadConfig, raw)
	}
	return dir, nil
}
