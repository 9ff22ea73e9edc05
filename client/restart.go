package client

import (
	"fmt"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// Default restart policies, by job type, for groups that set none.
var (
	defaultBatchRestart = api.RestartPolicy{
		Attempts: 3, Interval: int64(24 * time.Hour), Delay: int64(15 * time.Second),
		Mode: api.RestartModeFail,
	}
	defaultServiceRestart = api.RestartPolicy{
		Attempts: 2, Interval: int64(30 * time.Minute), Delay: int64(15 * time.Second),
		Mode: api.RestartModeFail,
	}
)

// restartDecision is what to do after a task ended.
type restartDecision struct {
	restart bool
	delay   time.Duration
	// reason is the event message: why the task restarts or does not.
	reason string
}

// restartTracker applies a group's restart policy to one task: at most
// Attempts restarts within Interval, each after Delay; once they are used
// up the task fails (mode "fail") or waits out the interval (mode
// "delay"). It holds no clock: callers pass the time.
type restartTracker struct {
	policy api.RestartPolicy
	// count is the restarts made in the window that began at start.
	count int
	start time.Time
}

// newRestartTracker returns a tracker for the group's policy, or the
// default for the job type when the group has none.
func newRestartTracker(p *api.RestartPolicy, jobType string) *restartTracker {
	rt := &restartTracker{policy: defaultServiceRestart}
	if jobType == api.JobTypeBatch {
		rt.policy = defaultBatchRestart
	}
	if p != nil {
		rt.policy = *p
	}
	return rt
}

// next decides, at now, whether a task that just ended restarts.
func (rt *restartTracker) next(now time.Time) restartDecision {
	interval := time.Duration(rt.policy.Interval)
	delay := time.Duration(rt.policy.Delay)

	// Open a new window when none is open or the last one has passed. A
	// zero interval is a window that never closes.
	if rt.start.IsZero() || (interval > 0 && now.Sub(rt.start) >= interval) {
		rt.start, rt.count = now, 0
	}
	if rt.count < rt.policy.Attempts {
		rt.count++
		return restartDecision{restart: true, delay: delay,
			reason: fmt.Sprintf("Task restarting in %s", delay)}
	}

	exceeded := fmt.Sprintf("Exceeded allowed attempts %d in interval %s", rt.policy.Attempts, interval)
	if rt.policy.Mode != api.RestartModeDelay || interval <= 0 {
		return restartDecision{reason: exceeded + ` and mode is "fail"`}
	}

	// Mode delay: wait for the window to close, then start afresh.
	wait := rt.start.Add(interval).Sub(now)
	if wait < delay {
		wait = delay
	}
	rt.start, rt.count = time.Time{}, 0
	return restartDecision{restart: true, delay: wait,
		reason: fmt.Sprintf(`%s and mode is "delay"; restarting in %s`, exceeded, wait)}
}
