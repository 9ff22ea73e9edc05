package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/constellation-sched/constellation/drivers"
)

// procDriver runs real processes for the tests of this package: config
// "command" (string) and "args" ([]any of strings). A "fail_start"
// config makes Start fail with that message.
type procDriver struct {
	name string
}

func (d *procDriver) Name() string { return d.name }

func (d *procDriver) Fingerprint() map[string]string {
	return map[string]string{"driver." + d.name: "1"}
}

func (d *procDriver) Validate(cfg map[string]any) error {
	if _, ok := cfg["command"].(string); !ok {
		return fmt.Errorf("%w: set command", drivers.ErrBadConfig)
	}
	return nil
}

func (d *procDriver) Start(_ context.Context, cfg *drivers.TaskConfig) (drivers.TaskHandle, error) {
	if msg, ok := cfg.Config["fail_start"].(string); ok {
		return nil, errors.New(msg)
	}
	if err := d.Validate(cfg.Config); err != nil {
		return nil, err
	}
	var args []string
	if list, ok := cfg.Config["args"].([]any); ok {
		for _, a := range list {
			args = append(args, fmt.Sprint(a))
		}
	}
	stdout, err := os.OpenFile(cfg.StdoutPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	stderr, err := os.OpenFile(cfg.StderrPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		stdout.Close()
		return nil, err
	}
	cmd := exec.Command(cfg.Config["command"].(string), args...)
	cmd.Dir = cfg.TaskDir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	for k, v := range cfg.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return nil, err
	}
	h := &procHandle{cmd: cmd, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		stdout.Close()
		stderr.Close()
		h.res = &drivers.ExitResult{ExitCode: cmd.ProcessState.ExitCode()}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			h.res.Signal = int(ws.Signal())
		} else if err != nil && cmd.ProcessState.ExitCode() < 0 {
			h.res.Err = err
		}
		close(h.done)
	}()
	return h, nil
}

type procHandle struct {
	cmd  *exec.Cmd
	done chan struct{}
	res  *drivers.ExitResult
	once sync.Once
}

func (h *procHandle) Wait() *drivers.ExitResult {
	<-h.done
	return h.res
}

func (h *procHandle) Stop(timeout time.Duration) error {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
		return nil
	case <-time.After(timeout):
		return h.cmd.Process.Kill()
	}
}

func (h *procHandle) Stats() *drivers.ResourceUsage {
	return &drivers.ResourceUsage{Timestamp: time.Now()}
}
