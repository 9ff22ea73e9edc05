package client

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

// testAlloc builds an allocation of a one-group job whose tasks run sh
// scripts through the "proc" test driver.
func testAlloc(id, jobType string, rp *api.RestartPolicy, scripts map[string]string) *api.Allocation {
	tg := &api.TaskGroup{Name: "g", Count: 1, RestartPolicy: rp}
	for name, script := range scripts {
		tg.Tasks = append(tg.Tasks, &api.Task{
			Name: name, Driver: "proc", KillTimeout: int64(2 * time.Second),
			Config: map[string]any{"command": "sh", "args": []any{"-c", script}},
		})
	}
	job := &api.Job{ID: "job-" + id, Type: jobType, TaskGroups: []*api.TaskGroup{tg}}
	return &api.Allocation{ID: id, JobID: job.ID, TaskGroup: "g", Job: job,
		DesiredStatus: api.AllocDesiredRun, ClientStatus: api.AllocClientPending}
}

// newTestTaskRunner returns a runner for the first task of alloc.
func newTestTaskRunner(t *testing.T, alloc *api.Allocation, drv drivers.Driver) *taskRunner {
	t.Helper()
	dir := t.TempDir()
	tg := alloc.Job.TaskGroups[0]
	task := tg.Tasks[0]
	require.NoError(t, os.MkdirAll(filepath.Join(dir, task.Name), 0o755))
	cfg := &drivers.TaskConfig{
		AllocID: alloc.ID, TaskName: task.Name, Config: task.Config, AllocDir: dir,
		TaskDir:    filepath.Join(dir, task.Name),
		StdoutPath: filepath.Join(dir, task.Name+".stdout"),
		StderrPath: filepath.Join(dir, task.Name+".stderr"),
	}
	return newTaskRunner(alloc, tg, task, drv, cfg, nil, slog.New(slog.DiscardHandler), func() {})
}

func eventTypes(s *api.TaskState) []string {
	var out []string
	for _, ev := range s.Events {
		out = append(out, ev.Type)
	}
	return out
}

func runToEnd(t *testing.T, tr *taskRunner) *api.TaskState {
	t.Helper()
	go tr.run(context.Background())
	select {
	case <-tr.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("task runner did not finish")
	}
	return tr.State()
}

func TestTaskRunner_Outcomes(t *testing.T) {
	fast := &api.RestartPolicy{Attempts: 2, Interval: int64(time.Hour), Delay: int64(time.Millisecond),
		Mode: api.RestartModeFail}
	tests := []struct {
		name       string
		jobType    string
		script     string
		policy     *api.RestartPolicy
		wantFailed bool
		restarts   int
		events     []string
		exitCode   int
	}{
		{
			name: "batch success is not restarted", jobType: api.JobTypeBatch, script: "exit 0",
			policy: fast, events: []string{"Received", "Started", "Terminated"},
		},
		{
			name: "batch failure uses up attempts then fails", jobType: api.JobTypeBatch, script: "exit 3",
			policy: fast, wantFailed: true, restarts: 2, exitCode: 3,
			events: []string{"Received", "Started", "Terminated", "Restarting", "Started", "Terminated",
				"Restarting", "Started", "Terminated", "Not Restarting"},
		},
		{
			name: "service exit 0 is restarted", jobType: api.JobTypeService, script: "exit 0",
			policy:     &api.RestartPolicy{Attempts: 1, Interval: int64(time.Hour), Delay: int64(time.Millisecond)},
			wantFailed: true, restarts: 1,
			events: []string{"Received", "Started", "Terminated", "Restarting", "Started", "Terminated",
				"Not Restarting"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alloc := testAlloc("a1", tt.jobType, tt.policy, map[string]string{"t": tt.script})
			st := runToEnd(t, newTestTaskRunner(t, alloc, &procDriver{name: "proc"}))
			assert.Equal(t, api.TaskStateDead, st.State)
			assert.Equal(t, tt.wantFailed, st.Failed)
			assert.Equal(t, tt.restarts, st.Restarts)
			assert.Equal(t, tt.exitCode, st.ExitCode)
			assert.Equal(t, tt.events, eventTypes(st))
		})
	}
}

func TestTaskRunner_DriverFailures(t *testing.T) {
	noRestart := &api.RestartPolicy{Attempts: 0, Interval: int64(time.Hour), Mode: api.RestartModeFail}
	tests := []struct {
		name    string
		config  map[string]any
		driver  drivers.Driver
		wantMsg string
	}{
		{"start error carries the driver's message", map[string]any{"fail_start": "wasm: fuel limit 1000 exhausted"},
			&procDriver{name: "proc"}, "wasm: fuel limit 1000 exhausted"},
		{"bad config is not restarted", map[string]any{}, &procDriver{name: "proc"}, "set command"},
		{"missing driver", map[string]any{"command": "true"}, nil, `driver "proc" is not available`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alloc := testAlloc("a1", api.JobTypeBatch, noRestart, map[string]string{"t": ""})
			alloc.Job.TaskGroups[0].Tasks[0].Config = tt.config
			st := runToEnd(t, newTestTaskRunner(t, alloc, tt.driver))
			assert.True(t, st.Failed)
			var found bool
			for _, ev := range st.Events {
				if ev.Type == api.TaskEventDriverErr {
					found = true
					assert.Contains(t, ev.Message, tt.wantMsg)
				}
			}
			assert.True(t, found, "no driver failure event in %v", eventTypes(st))
			assert.Equal(t, api.TaskEventNotRestart, st.Events[len(st.Events)-1].Type)
		})
	}
}

func TestTaskRunner_Kill(t *testing.T) {
	alloc := testAlloc("a1", api.JobTypeService, nil, map[string]string{"t": "exec sleep 60"})
	tr := newTestTaskRunner(t, alloc, &procDriver{name: "proc"})
	go tr.run(context.Background())
	require.Eventually(t, func() bool { return tr.State().State == api.TaskStateRunning },
		10*time.Second, 10*time.Millisecond)

	tr.Kill(killStop, "Task killed: test")
	select {
	case <-tr.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("killed task runner did not finish")
	}
	st := tr.State()
	assert.Equal(t, api.TaskStateDead, st.State)
	assert.False(t, st.Failed)
	assert.Equal(t, api.TaskEventKilled, st.Events[len(st.Events)-1].Type)
	assert.Equal(t, "Task killed: test", st.Events[len(st.Events)-1].Message)
}

func TestTaskRunner_ShutdownKeepsState(t *testing.T) {
	alloc := testAlloc("a1", api.JobTypeService, nil, map[string]string{"t": "exec sleep 60"})
	tr := newTestTaskRunner(t, alloc, &procDriver{name: "proc"})
	go tr.run(context.Background())
	require.Eventually(t, func() bool { return tr.State().State == api.TaskStateRunning },
		10*time.Second, 10*time.Millisecond)

	tr.Kill(killShutdown, "shutting down")
	<-tr.Done()
	st := tr.State()
	assert.Equal(t, api.TaskStateRunning, st.State, "a shutdown must not record the task as finished")
	assert.Equal(t, api.TaskEventStarted, st.Events[len(st.Events)-1].Type)
}

func TestTaskRunner_KillDuringRestartDelay(t *testing.T) {
	slow := &api.RestartPolicy{Attempts: 5, Interval: int64(time.Hour), Delay: int64(time.Hour)}
	alloc := testAlloc("a1", api.JobTypeBatch, slow, map[string]string{"t": "exit 1"})
	tr := newTestTaskRunner(t, alloc, &procDriver{name: "proc"})
	go tr.run(context.Background())
	require.Eventually(t, func() bool { return tr.State().Restarts == 1 }, 10*time.Second, 10*time.Millisecond)

	tr.Kill(killStop, "Task killed: test")
	<-tr.Done()
	st := tr.State()
	assert.Equal(t, api.TaskStateDead, st.State)
	assert.False(t, st.Failed)
	assert.Equal(t, []string{"Received", "Started", "Terminated", "Restarting", "Killed"}, eventTypes(st))
}
