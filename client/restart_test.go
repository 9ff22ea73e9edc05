package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/constellation-sched/constellation/api"
)

func TestRestartTracker_Policy(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at      time.Duration
		restart bool
		delay   time.Duration
	}
	tests := []struct {
		name   string
		policy *api.RestartPolicy
		steps  []step
	}{
		{
			name: "fail after attempts within interval",
			policy: &api.RestartPolicy{Attempts: 2, Interval: int64(time.Minute),
				Delay: int64(time.Second), Mode: api.RestartModeFail},
			steps: []step{{0, true, time.Second}, {2 * time.Second, true, time.Second},
				{4 * time.Second, false, 0}},
		},
		{
			name: "window passes and attempts reset",
			policy: &api.RestartPolicy{Attempts: 1, Interval: int64(time.Minute),
				Delay: int64(time.Second), Mode: api.RestartModeFail},
			steps: []step{{0, true, time.Second}, {2 * time.Minute, true, time.Second},
				{2*time.Minute + 5*time.Second, false, 0}},
		},
		{
			name: "delay mode waits out the interval",
			policy: &api.RestartPolicy{Attempts: 1, Interval: int64(time.Minute),
				Delay: int64(time.Second), Mode: api.RestartModeDelay},
			steps: []step{{0, true, time.Second}, {10 * time.Second, true, 50 * time.Second},
				{61 * time.Second, true, time.Second}},
		},
		{
			name:   "zero attempts never restart",
			policy: &api.RestartPolicy{Attempts: 0, Interval: int64(time.Minute), Mode: api.RestartModeFail},
			steps:  []step{{0, false, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newRestartTracker(tt.policy, api.JobTypeService)
			for i, s := range tt.steps {
				d := rt.next(t0.Add(s.at))
				assert.Equal(t, s.restart, d.restart, "step %d: %s", i, d.reason)
				assert.Equal(t, s.delay, d.delay, "step %d", i)
				assert.NotEmpty(t, d.reason)
			}
		})
	}
}

func TestRestartTracker_Defaults(t *testing.T) {
	assert.Equal(t, defaultBatchRestart, newRestartTracker(nil, api.JobTypeBatch).policy)
	assert.Equal(t, defaultServiceRestart, newRestartTracker(nil, api.JobTypeService).policy)
}
