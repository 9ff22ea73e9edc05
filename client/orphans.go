package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// orphanGoneWait bounds how long the agent waits for a killed orphan to
// die before it goes on.
const orphanGoneWait = 5 * time.Second

// hostProcess is implemented by task handles backed by a host process
// (the exec and gpu drivers), so that the agent can record which process
// a task runs as.
type hostProcess interface {
	// PID returns the process ID.
	PID() int
	// ProcessGroup returns the process group the task's processes run in.
	ProcessGroup() int
	// StartTime returns the process's start in clock ticks since boot;
	// 0 when unknown.
	StartTime() uint64
}

// procRecord names a task's host process across an agent crash: the PID
// with the start time, which a later process given the same PID cannot
// share, and the process group to kill.
type procRecord struct {
	AllocID   string
	Task      string
	PID       int
	PGID      int
	StartTime uint64
}

// procKey is the state file key of a task's process record.
func procKey(allocID, task string) string { return allocID + "/" + task }

// procRecorder keeps the process records of running tasks.
type procRecorder interface {
	PutProc(key string, rec *procRecord) error
	DeleteProc(key string) error
}

// killOrphans kills the processes of tasks that were running when the
// previous agent died without stopping them. The driver interface cannot
// reattach to them, and the allocation either starts the task again or
// was replaced elsewhere, so an orphan left alive would run twice. A
// record whose PID is gone or now names another process is dropped.
//
// TODO: processes of the group that outlived its leader are not killed:
// once the leader is gone, the group cannot be told from a later one
// that reused its ID.
func (a *Agent) killOrphans() {
	for key, rec := range a.state.Procs() {
		switch same, err := sameProcess(rec); {
		case err != nil:
			a.logger.Warn("check orphaned task process", "alloc_id", rec.AllocID, "task", rec.Task,
				"pid", rec.PID, "error", err)
		case !same:
			a.logger.Debug("orphaned task process already gone", "alloc_id", rec.AllocID,
				"task", rec.Task, "pid", rec.PID)
		default:
			if err := killProcess(rec); err != nil {
				a.logger.Error("kill task process orphaned by the previous agent", "alloc_id", rec.AllocID,
					"task", rec.Task, "pid", rec.PID, "pgid", rec.PGID, "error", err)
			} else {
				a.logger.Warn("killed task process orphaned by the previous agent", "alloc_id", rec.AllocID,
					"task", rec.Task, "pid", rec.PID, "pgid", rec.PGID)
			}
		}
		if err := a.state.DeleteProc(key); err != nil {
			a.logger.Error("save client state", "alloc_id", rec.AllocID, "error", err)
		}
	}
}

// killProcess sends SIGKILL to the record's process group and process,
// and waits a while for the process to die.
func killProcess(rec *procRecord) error {
	var errs []error
	if rec.PGID > 0 {
		if err := syscall.Kill(-rec.PGID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill process group %d: %w", rec.PGID, err))
		}
	}
	if err := syscall.Kill(rec.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		errs = append(errs, fmt.Errorf("kill process %d: %w", rec.PID, err))
	}
	deadline := time.Now().Add(orphanGoneWait)
	for {
		same, err := sameProcess(rec)
		if err != nil || !same {
			return errors.Join(append(errs, err)...)
		}
		if time.Now().After(deadline) {
			return errors.Join(append(errs, fmt.Errorf("process %d still alive %s after SIGKILL",
				rec.PID, orphanGoneWait))...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sameProcess reports whether the record's process still runs: its PID
// exists, is not a zombie, and started when the record says.
func sameProcess(rec *procRecord) (bool, error) {
	path := filepath.Join("/proc", strconv.Itoa(rec.PID), "stat")
	buf, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read process %d: %w", rec.PID, err)
	}
	// The command name is in parentheses and may hold spaces; the fields
	// after it start at field 3 (state) of proc(5).
	s := string(buf)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return false, fmt.Errorf("parse %s: no command name", path)
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 22-2 {
		return false, fmt.Errorf("parse %s: %d fields, want at least 22", path, len(f)+2)
	}
	if f[0] == "Z" || f[0] == "X" {
		return false, nil
	}
	start, err := strconv.ParseUint(f[22-3], 10, 64)
	if err != nil {
		return false, fmt.Errorf("parse %s: start time: %w", path, err)
	}
	return start == rec.StartTime, nil
}
