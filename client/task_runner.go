package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

// maxTaskEvents is how many events a task state keeps, newest last.
const maxTaskEvents = 10

// killMode says why a task runner is told to stop.
type killMode int

const (
	// killStop stops the task for good and records it as killed.
	killStop killMode = iota + 1
	// killShutdown stops the task because the agent is shutting down; its
	// recorded state is left as it was so that a restarted agent resumes
	// it.
	killShutdown
)

// taskRunner runs one task of an allocation through its driver, applying
// the group's restart policy, and records the task's state and events.
type taskRunner struct {
	task     *api.Task
	driver   drivers.Driver // nil when the node lacks the task's driver
	cfg      *drivers.TaskConfig
	restarts *restartTracker
	batch    bool
	logger   *slog.Logger
	now      func() time.Time
	// onChange is called, without locks held, after each state change.
	onChange func()
	// procs, when not nil, records the host process of the running task.
	procs procRecorder

	killCh   chan struct{}
	killOnce sync.Once
	done     chan struct{}

	// mu guards state, handle, mode and killTimeout.
	mu    sync.Mutex
	state *api.TaskState
	// handle is the running task; nil when it is not running.
	handle      drivers.TaskHandle
	mode        killMode
	killTimeout time.Duration
	reason      string
}

// newTaskRunner returns a runner for task; state is the task's recorded
// state when an agent restart restores it, or nil.
func newTaskRunner(alloc *api.Allocation, tg *api.TaskGroup, task *api.Task,
	driver drivers.Driver, cfg *drivers.TaskConfig, state *api.TaskState,
	logger *slog.Logger, onChange func()) *taskRunner {
	if state == nil {
		state = &api.TaskState{State: api.TaskStatePending}
	}
	killTimeout := time.Duration(task.KillTimeout)
	if killTimeout <= 0 {
		killTimeout = defaultKillTimeout
	}
	return &taskRunner{
		task:        task,
		driver:      driver,
		cfg:         cfg,
		restarts:    newRestartTracker(tg.RestartPolicy, alloc.Job.Type),
		batch:       alloc.Job.Type == api.JobTypeBatch,
		logger:      logger.With("task", task.Name),
		now:         time.Now,
		onChange:    onChange,
		killCh:      make(chan struct{}),
		done:        make(chan struct{}),
		state:       state,
		killTimeout: killTimeout,
	}
}

// Kill asks the runner to stop its task, waiting up to the task's kill
// timeout before the driver kills it. The first call decides the mode.
func (tr *taskRunner) Kill(mode killMode, reason string) {
	tr.killOnce.Do(func() {
		tr.mu.Lock()
		tr.mode, tr.reason = mode, reason
		tr.mu.Unlock()
		close(tr.killCh)
	})
}

// Done is closed once the runner has finished.
func (tr *taskRunner) Done() <-chan struct{} { return tr.done }

// State returns a copy of the task's state.
func (tr *taskRunner) State() *api.TaskState {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return copyTaskState(tr.state)
}

// run starts the task and keeps it going as the restart policy says, until
// it finishes, fails for good, or is killed.
func (tr *taskRunner) run(ctx context.Context) {
	defer close(tr.done)
	if st := tr.State(); st.State == api.TaskStateDead {
		return
	} else if tr.killed() {
		tr.finishKilled(nil)
		return
	} else if st.StartedAt != 0 {
		// TODO: the driver interface cannot reattach to a task that
		// outlived its agent, so a restored task is started afresh.
		tr.event(api.TaskEventRestarting, "Client agent restarted; starting the task again", 0)
	} else {
		tr.event(api.TaskEventReceived, "Task received by client", 0)
	}

	for {
		res, fatal := tr.runOnce(ctx)
		if tr.killed() {
			tr.finishKilled(res)
			return
		}
		if fatal != "" {
			tr.event(api.TaskEventNotRestart, fatal, 0)
			tr.setDead(true)
			return
		}
		if tr.batch && res.Successful() {
			tr.setDead(false)
			return
		}
		if !tr.waitRestart() {
			return
		}
	}
}

// runOnce starts the task once and waits for it to end or be killed. It
// returns how the task ended, and a reason when the failure cannot be
// cured by a restart.
func (tr *taskRunner) runOnce(ctx context.Context) (*drivers.ExitResult, string) {
	if tr.driver == nil {
		msg := fmt.Sprintf("driver %q is not available on this node", tr.task.Driver)
		tr.event(api.TaskEventDriverErr, msg, 0)
		return &drivers.ExitResult{Err: errors.New(msg)}, "Error was unrecoverable"
	}
	if tr.killed() {
		return nil, ""
	}
	handle, err := tr.driver.Start(ctx, tr.cfg)
	if err != nil {
		tr.event(api.TaskEventDriverErr, err.Error(), 0)
		if errors.Is(err, drivers.ErrBadConfig) {
			return &drivers.ExitResult{Err: err}, "Error was unrecoverable: fix the task's config"
		}
		return &drivers.ExitResult{Err: err}, ""
	}
	tr.setHandle(handle)
	defer tr.setHandle(nil)
	if untrack := tr.trackProc(handle); untrack != nil {
		defer untrack()
	}
	tr.setRunning()

	waitCh := make(chan *drivers.ExitResult, 1)
	go func() { waitCh <- handle.Wait() }()
	var res *drivers.ExitResult
	select {
	case res = <-waitCh:
	case <-tr.killCh:
		tr.mu.Lock()
		timeout := tr.killTimeout
		tr.mu.Unlock()
		if err := handle.Stop(timeout); err != nil {
			tr.logger.Warn("stop task", "error", err)
		}
		res = <-waitCh
		return res, ""
	}

	if res == nil {
		res = &drivers.ExitResult{Err: errors.New("driver returned no exit result")}
	}
	if res.Err != nil {
		tr.event(api.TaskEventDriverErr, res.Err.Error(), res.ExitCode)
	} else {
		msg := fmt.Sprintf("Exit Code: %d", res.ExitCode)
		if res.Signal != 0 {
			msg += fmt.Sprintf(", Signal: %d", res.Signal)
		}
		tr.event(api.TaskEventTerminated, msg, res.ExitCode)
	}
	tr.logger.Info("task ended", "exit_code", res.ExitCode, "error", res.Err)
	return res, ""
}

// waitRestart applies the restart policy after the task ended. It reports
// whether to start the task again.
func (tr *taskRunner) waitRestart() bool {
	d := tr.restarts.next(tr.now())
	if !d.restart {
		tr.event(api.TaskEventNotRestart, d.reason, 0)
		tr.setDead(true)
		return false
	}
	tr.mu.Lock()
	tr.state.State = api.TaskStatePending
	tr.state.Restarts++
	tr.mu.Unlock()
	tr.event(api.TaskEventRestarting, d.reason, 0)

	timer := time.NewTimer(d.delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-tr.killCh:
		tr.finishKilled(nil)
		return false
	}
}

// Stats samples the running task's resource use; nil when the task is not
// running.
func (tr *taskRunner) Stats() *drivers.ResourceUsage {
	tr.mu.Lock()
	h := tr.handle
	tr.mu.Unlock()
	if h == nil {
		return nil
	}
	return h.Stats()
}

// trackProc records the task's host process, when it runs as one, so
// that an agent restarted after a crash can kill it. It returns the
// function that forgets the record once the process has ended, or nil.
func (tr *taskRunner) trackProc(handle drivers.TaskHandle) func() {
	hp, ok := handle.(hostProcess)
	if !ok || tr.procs == nil {
		return nil
	}
	rec := &procRecord{AllocID: tr.cfg.AllocID, Task: tr.task.Name,
		PID: hp.PID(), PGID: hp.ProcessGroup(), StartTime: hp.StartTime()}
	if rec.StartTime == 0 {
		// Without the start time a reused PID cannot be told apart.
		tr.logger.Warn("task process start time unknown; it will not be killed after an agent crash",
			"pid", rec.PID)
		return nil
	}
	key := procKey(rec.AllocID, rec.Task)
	if err := tr.procs.PutProc(key, rec); err != nil {
		tr.logger.Error("save client state", "error", err)
	}
	return func() {
		if err := tr.procs.DeleteProc(key); err != nil {
			tr.logger.Error("save client state", "error", err)
		}
	}
}

func (tr *taskRunner) setHandle(h drivers.TaskHandle) {
	tr.mu.Lock()
	tr.handle = h
	tr.mu.Unlock()
}

func (tr *taskRunner) killed() bool {
	select {
	case <-tr.killCh:
		return true
	default:
		return false
	}
}

// finishKilled records a kill, unless the agent is only shutting down.
func (tr *taskRunner) finishKilled(res *drivers.ExitResult) {
	tr.mu.Lock()
	mode, reason := tr.mode, tr.reason
	tr.mu.Unlock()
	if mode == killShutdown {
		return
	}
	code := 0
	if res != nil {
		code = res.ExitCode
	}
	tr.event(api.TaskEventKilled, reason, code)
	tr.setDead(false)
}

func (tr *taskRunner) setRunning() {
	tr.mu.Lock()
	tr.state.State = api.TaskStateRunning
	tr.state.StartedAt = tr.now().UnixNano()
	tr.mu.Unlock()
	tr.event(api.TaskEventStarted, "Task started by client", 0)
}

func (tr *taskRunner) setDead(failed bool) {
	tr.mu.Lock()
	tr.state.State = api.TaskStateDead
	tr.state.Failed = failed
	tr.state.FinishedAt = tr.now().UnixNano()
	tr.mu.Unlock()
	tr.onChange()
}

// event appends a task event, keeping the newest maxTaskEvents, and tells
// the alloc runner.
func (tr *taskRunner) event(typ, msg string, exitCode int) {
	tr.mu.Lock()
	ev := &api.TaskEvent{Type: typ, Time: tr.now().UnixNano(), Message: msg, ExitCode: exitCode}
	tr.state.Events = append(tr.state.Events, ev)
	if n := len(tr.state.Events); n > maxTaskEvents {
		tr.state.Events = append([]*api.TaskEvent(nil), tr.state.Events[n-maxTaskEvents:]...)
	}
	if typ == api.TaskEventTerminated || typ == api.TaskEventDriverErr || typ == api.TaskEventKilled {
		tr.state.ExitCode = exitCode
	}
	tr.mu.Unlock()
	tr.logger.Debug("task event", "type", typ, "message", msg)
	tr.onChange()
}

func copyTaskState(s *api.TaskState) *api.TaskState {
	c := *s
	c.Events = make([]*api.TaskEvent, len(s.Events))
	for i, ev := range s.Events {
		e := *ev
		c.Events[i] = &e
	}
	return &c
}
