package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/constellation-sched/constellation/drivers"
)

// ErrNoCommand is returned by Start when Spec.Path is empty.
var ErrNoCommand = errors.New("no command to run")

// Spec is a process to start.
type Spec struct {
	// Path is the program: absolute, relative to Dir, or a name looked up
	// in the agent's PATH.
	Path string
	Args []string
	// Env is the complete environment, KEY=value.
	Env []string
	// Dir is the working directory.
	Dir string
	// StdoutPath and StderrPath are appended to; /dev/null when empty.
	StdoutPath string
	StderrPath string
	// AddressSpaceLimit, when non-zero, caps the process's virtual memory
	// (RLIMIT_AS) in bytes.
	AddressSpaceLimit uint64
}

// Process is a started task process. It implements drivers.TaskHandle.
type Process struct {
	cmd *exec.Cmd
	pid int
	// startTime is the process's start in clock ticks since boot, read
	// before the process can be reaped; 0 when /proc could not be read.
	startTime uint64
	done      chan struct{}
	// result is set before done is closed.
	result *drivers.ExitResult

	// mu guards cpu, the CPU time at the previous Stats call.
	mu  sync.Mutex
	cpu cpuMark
}

var _ drivers.TaskHandle = (*Process)(nil)

// Start launches the process in its own process group and returns once it
// runs.
func Start(spec *Spec) (*Process, error) {
	if spec.Path == "" {
		return nil, ErrNoCommand
	}
	stdout, err := openAppend(spec.StdoutPath)
	if err != nil {
		return nil, fmt.Errorf("open stdout: %w", err)
	}
	defer stdout.Close()
	stderr, err := openAppend(spec.StderrPath)
	if err != nil {
		return nil, fmt.Errorf("open stderr: %w", err)
	}
	defer stderr.Close()

	path, err := resolve(spec.Path, spec.Dir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, spec.Args...)
	if spec.AddressSpaceLimit > 0 {
		cmd = limitedCommand(path, spec.Args, spec.AddressSpaceLimit)
	}
	cmd.Env = spec.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = spec.Dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Path, err)
	}

	p := &Process{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	// Until wait reaps it the PID cannot name another process, so the
	// start time read here is this process's.
	if f, err := readStat(p.pid); err == nil {
		p.startTime = field(f, 22)
	}
	go p.wait()
	p.cpu = p.cpuNow()

	return p, nil
}

// PID returns the process ID, which is also its process group ID.
func (p *Process) PID() int {
	return p.pid
}

// ProcessGroup returns the process group ID: the process leads its own
// group, so it equals the PID.
func (p *Process) ProcessGroup() int {
	return p.pid
}

// StartTime returns when the process started, in clock ticks since boot
// (field 22 of /proc/<pid>/stat); with the PID it tells this process from a
// later one given the same PID. It is 0 when /proc could not be read.
func (p *Process) StartTime() uint64 {
	return p.startTime
}

// Wait blocks until the process ends and returns how it ended.
func (p *Process) Wait() *drivers.ExitResult {
	<-p.done
	return p.result
}

// Done returns a channel closed when the process has ended.
func (p *Process) Done() <-chan struct{} {
	return p.done
}

// Stop sends SIGTERM to the process group, then SIGKILL to the group once
// timeout has passed and any of it is still alive. It returns once the
// process has ended.
func (p *Process) Stop(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if timeout > 0 {
		if err := syscall.Kill(-p.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal process group %d: %w", p.pid, err)
		}
		// Wait for the leader, then for the rest of the group.
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-p.done:
			for time.Now().Before(deadline) && p.groupAlive() {
				time.Sleep(10 * time.Millisecond)
			}
		case <-t.C:
		}
	}
	p.killGroup()
	<-p.done
	return nil
}

// groupAlive reports whether any process of the group still exists.
func (p *Process) groupAlive() bool {
	return syscall.Kill(-p.pid, 0) == nil
}

// killGroup sends SIGKILL to the whole process group.
func (p *Process) killGroup() {
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
}

// wait reaps the process and records its exit.
func (p *Process) wait() {
	err := p.cmd.Wait()
	res := &drivers.ExitResult{}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		ws := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			res.Signal = int(ws.Signal())
			res.ExitCode = 128 + res.Signal
		} else {
			res.ExitCode = ws.ExitStatus()
		}
	default:
		res.Err = fmt.Errorf("wait for pid %d: %w", p.pid, err)
	}
	p.result = res
	close(p.done)
}

// limitedCommand runs path under /bin/sh, which sets RLIMIT_AS with
// ulimit -v and then execs path in its place: the limit is in force from
// the program's first instruction, and the PID stays the program's.
//
// TODO: RLIMIT_AS bounds address space, not resident memory; a cgroup v2
// memory.max (clone3 with CLONE_INTO_CGROUP) would bound what the task
// really uses, and would hold its children when they raise their limit.
func limitedCommand(path string, args []string, limit uint64) *exec.Cmd {
	script := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, limit>>10)
	return exec.Command("/bin/sh", append([]string{"-c", script, path}, args...)...)
}

// resolve finds the program: a bare name in the agent's PATH, a relative
// path under dir. It fails when the program is not there or not
// executable, so that Start reports it rather than the task's stderr.
func resolve(path, dir string) (string, error) {
	if !strings.Contains(path, "/") {
		found, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("find program %q: %w", path, err)
		}
		return found, nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("find program: %w", err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("program %s is not an executable file", path)
	}
	return path, nil
}

// openAppend opens path for appending, creating it; /dev/null when empty.
func openAppend(path string) (*os.File, error) {
	if path == "" {
		path = os.DevNull
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}
