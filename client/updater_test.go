package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// recordingSender records each batch and fails while failing is set.
type recordingSender struct {
	mu       sync.Mutex
	batches  [][]*api.Allocation
	failing  bool
	attempts int
}

func (r *recordingSender) send(_ context.Context, allocs []*api.Allocation) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if r.failing {
		return errors.New("server unreachable")
	}
	r.batches = append(r.batches, allocs)
	return nil
}

func (r *recordingSender) latest() map[string]*api.Allocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*api.Allocation{}
	for _, b := range r.batches {
		for _, a := range b {
			out[a.ID] = a
		}
	}
	return out
}

func runUpdater(t *testing.T, u *updater) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { u.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestUpdater_BatchesAndStrips(t *testing.T) {
	rs := &recordingSender{}
	u := newUpdater(rs.send, time.Millisecond, time.Millisecond, 10*time.Millisecond, slog.New(slog.DiscardHandler))
	total := maxUpdateBatch + 20
	for i := range total {
		u.Queue(&api.Allocation{ID: fmt.Sprint(i), ClientStatus: api.AllocClientRunning, Job: &api.Job{ID: "j"}})
	}
	runUpdater(t, u)
	require.Eventually(t, func() bool { return len(rs.latest()) == total }, waitFor, time.Millisecond)

	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, b := range rs.batches {
		assert.LessOrEqual(t, len(b), maxUpdateBatch)
		for _, a := range b {
			assert.Nil(t, a.Job)
		}
	}
}

func TestUpdater_RetriesKeepingNewest(t *testing.T) {
	rs := &recordingSender{failing: true}
	u := newUpdater(rs.send, time.Millisecond, time.Millisecond, 5*time.Millisecond, slog.New(slog.DiscardHandler))
	runUpdater(t, u)
	u.Queue(&api.Allocation{ID: "a", ClientStatus: api.AllocClientRunning})
	u.Queue(&api.Allocation{ID: "b", ClientStatus: api.AllocClientRunning})
	require.Eventually(t, func() bool {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		return rs.attempts >= 2
	}, waitFor, time.Millisecond)
	// A change made while the old one waits to be retried replaces it.
	u.Queue(&api.Allocation{ID: "a", ClientStatus: api.AllocClientComplete})

	rs.mu.Lock()
	rs.failing = false
	rs.mu.Unlock()
	require.Eventually(t, func() bool {
		got := rs.latest()
		return got["a"] != nil && got["b"] != nil
	}, waitFor, time.Millisecond)
	got := rs.latest()
	assert.Equal(t, api.AllocClientComplete, got["a"].ClientStatus)
	assert.Equal(t, api.AllocClientRunning, got["b"].ClientStatus)
}
