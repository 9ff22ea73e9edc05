package client

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

// allocRunner runs the tasks of one allocation and derives the
// allocation's client status from them.
type allocRunner struct {
	dir    string
	logger *slog.Logger
	// changed is called, without locks held, with a copy of the
	// allocation after each state change.
	changed func(*api.Allocation)

	tasks []*taskRunner
	done  chan struct{}

	// changeMu serializes status changes, so that a status computed from
	// older task states never replaces a newer one.
	changeMu sync.Mutex

	// mu guards alloc, status and desc.
	mu     sync.Mutex
	alloc  *api.Allocation
	status string
	desc   string
}

// newAllocRunner prepares a runner for alloc. Restored task states, from
// the state file, are taken from alloc.TaskStates when restored is true.
// procs, when not nil, records the host processes the tasks run as.
func newAllocRunner(alloc *api.Allocation, allocsDir string, drv map[string]drivers.Driver,
	restored bool, procs procRecorder, logger *slog.Logger, changed func(*api.Allocation)) (*allocRunner, error) {
	ar := &allocRunner{
		dir:     filepath.Join(allocsDir, alloc.ID),
		logger:  logger.With("alloc_id", alloc.ID),
		changed: changed,
		done:    make(chan struct{}),
		alloc:   alloc,
		status:  api.AllocClientPending,
	}
	if restored && alloc.ClientStatus != "" {
		ar.status, ar.desc = alloc.ClientStatus, alloc.ClientDescription
	}
	tg := groupOf(alloc)
	if tg == nil {
		return nil, fmt.Errorf("alloc %s: job %q has no group %q", alloc.ID, alloc.JobID, alloc.TaskGroup)
	}
	for _, task := range tg.Tasks {
		var state *api.TaskState
		if restored && alloc.TaskStates[task.Name] != nil {
			state = copyTaskState(alloc.TaskStates[task.Name])
		}
		cfg := ar.taskConfig(alloc, task)
		tr := newTaskRunner(alloc, tg, task, drv[task.Driver], cfg, state, ar.logger, ar.taskChanged)
		tr.procs = procs
		ar.tasks = append(ar.tasks, tr)
	}
	return ar, nil
}

// groupOf returns the allocation's task group from its job.
func groupOf(alloc *api.Allocation) *api.TaskGroup {
	if alloc.Job == nil {
		return nil
	}
	for _, tg := range alloc.Job.TaskGroups {
		if tg.Name == alloc.TaskGroup {
			return tg
		}
	}
	return nil
}

// taskConfig builds what the driver gets to start task.
func (ar *allocRunner) taskConfig(alloc *api.Allocation, task *api.Task) *drivers.TaskConfig {
	taskDir := filepath.Join(ar.dir, task.Name)
	logDir := filepath.Join(ar.dir, "logs")
	env := map[string]string{
		"CONSTELLATION_ALLOC_ID":   alloc.ID,
		"CONSTELLATION_ALLOC_NAME": alloc.Name,
		"CONSTELLATION_JOB_ID":     alloc.JobID,
		"CONSTELLATION_GROUP_NAME": alloc.TaskGroup,
		"CONSTELLATION_TASK_NAME":  task.Name,
		"CONSTELLATION_ALLOC_DIR":  ar.dir,
		"CONSTELLATION_TASK_DIR":   taskDir,
	}
	for k, v := range task.Env {
		env[k] = v
	}
	return &drivers.TaskConfig{
		AllocID:    alloc.ID,
		JobID:      alloc.JobID,
		Group:      alloc.TaskGroup,
		TaskName:   task.Name,
		Config:     task.Config,
		Env:        env,
		Resources:  alloc.Resources[task.Name],
		AllocDir:   ar.dir,
		TaskDir:    taskDir,
		StdoutPath: filepath.Join(logDir, task.Name+".stdout"),
		StderrPath: filepath.Join(logDir, task.Name+".stderr"),
	}
}

// Run makes the allocation's directories and runs its tasks until all
// have finished. It returns at once for an allocation already finished.
func (ar *allocRunner) Run(ctx context.Context) {
	defer close(ar.done)
	if err := ar.makeDirs(); err != nil {
		ar.logger.Error("make alloc dir", "error", err)
		ar.changeMu.Lock()
		defer ar.changeMu.Unlock()
		ar.setStatus(api.AllocClientFailed, "cannot make the allocation directory: "+err.Error())
		return
	}
	var wg sync.WaitGroup
	for _, tr := range ar.tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr.run(ctx)
		}()
	}
	wg.Wait()
}

func (ar *allocRunner) makeDirs() error {
	if err := os.MkdirAll(filepath.Join(ar.dir, "logs"), 0o755); err != nil {
		return err
	}
	for _, tr := range ar.tasks {
		if err := os.MkdirAll(tr.cfg.TaskDir, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Update takes a newer copy of the allocation from the servers and stops
// the tasks when the servers want it stopped or have marked it lost.
//
// TODO: a job changed in place (same allocation, new job version) is
// stored but its running tasks keep the old spec; applying it needs the
// task runners to restart with the new config.
func (ar *allocRunner) Update(alloc *api.Allocation) {
	ar.mu.Lock()
	if alloc.Job == nil {
		alloc.Job = ar.alloc.Job
	}
	ar.alloc = alloc
	ar.mu.Unlock()
	switch {
	case alloc.DesiredStatus == api.AllocDesiredStop || alloc.DesiredStatus == api.AllocDesiredEvict:
		ar.Stop(killStop, "Task killed: the servers stopped the allocation")
	case alloc.ClientStatus == api.AllocClientLost:
		ar.Stop(killStop, "Task killed: the servers marked the allocation lost")
	}
}

// Stop kills every task of the allocation.
func (ar *allocRunner) Stop(mode killMode, reason string) {
	for _, tr := range ar.tasks {
		tr.Kill(mode, reason)
	}
}

// Done is closed once every task has finished.
func (ar *allocRunner) Done() <-chan struct{} { return ar.done }

// Alloc returns a copy of the allocation with the client's view of its
// status and task states.
func (ar *allocRunner) Alloc() *api.Allocation {
	ar.mu.Lock()
	a := *ar.alloc
	a.ClientStatus, a.ClientDescription = ar.status, ar.desc
	ar.mu.Unlock()
	a.TaskStates = make(map[string]*api.TaskState, len(ar.tasks))
	for _, tr := range ar.tasks {
		a.TaskStates[tr.task.Name] = tr.State()
	}
	return &a
}

// TaskNames lists the allocation's tasks.
func (ar *allocRunner) TaskNames() []string {
	names := make([]string, len(ar.tasks))
	for i, tr := range ar.tasks {
		names[i] = tr.task.Name
	}
	return names
}

// taskChanged recomputes the client status after a task's state changed.
// A task that failed for good takes its sibling tasks down with it.
func (ar *allocRunner) taskChanged() {
	ar.changeMu.Lock()
	defer ar.changeMu.Unlock()
	states := make(map[string]*api.TaskState, len(ar.tasks))
	for _, tr := range ar.tasks {
		states[tr.task.Name] = tr.State()
	}
	status, desc := clientStatus(states)
	if status == api.AllocClientFailed || hasFailed(states) {
		for _, tr := range ar.tasks {
			tr.Kill(killStop, "Task killed: a sibling task failed")
		}
	}
	ar.setStatus(status, desc)
}

func (ar *allocRunner) setStatus(status, desc string) {
	ar.mu.Lock()
	ar.status, ar.desc = status, desc
	ar.mu.Unlock()
	ar.changed(ar.Alloc())
}

func hasFailed(states map[string]*api.TaskState) bool {
	for _, s := range states {
		if s.State == api.TaskStateDead && s.Failed {
			return true
		}
	}
	return false
}

// clientStatus derives an allocation's client status from its tasks:
// pending until one runs, running while any is not dead, then failed if
// any failed, else complete.
func clientStatus(states map[string]*api.TaskState) (string, string) {
	var pending, running, failed int
	for _, s := range states {
		switch {
		case s.State == api.TaskStatePending:
			pending++
		case s.State == api.TaskStateRunning:
			running++
		case s.Failed:
			failed++
		}
	}
	switch {
	case running > 0:
		return api.AllocClientRunning, "Tasks are running"
	case pending > 0:
		return api.AllocClientPending, "No tasks have started"
	case failed > 0:
		return api.AllocClientFailed, "Failed tasks"
	}
	return api.AllocClientComplete, "All tasks have completed"
}
