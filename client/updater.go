package client

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// maxUpdateBatch is the most allocations one update request carries; the
// servers refuse requests of more than 1000.
const maxUpdateBatch = 500

// updater sends allocation status changes to the servers. Changes made
// between two sends are merged, newest per allocation, and sends are at
// least interval apart; a failed send is retried with backoff, unless a
// newer change has replaced it.
type updater struct {
	send     func(context.Context, []*api.Allocation) error
	interval time.Duration
	retryMin time.Duration
	retryMax time.Duration
	logger   *slog.Logger
	wake     chan struct{}

	// mu guards pending.
	mu      sync.Mutex
	pending map[string]*api.Allocation
}

func newUpdater(send func(context.Context, []*api.Allocation) error, interval,
	retryMin, retryMax time.Duration, logger *slog.Logger) *updater {
	return &updater{
		send: send, interval: interval, retryMin: retryMin, retryMax: retryMax,
		logger: logger, wake: make(chan struct{}, 1), pending: map[string]*api.Allocation{},
	}
}

// Queue records the allocation's latest client view to be sent.
func (u *updater) Queue(alloc *api.Allocation) {
	u.mu.Lock()
	u.pending[alloc.ID] = updateOf(alloc)
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// updateOf strips an allocation down to what the client reports.
func updateOf(a *api.Allocation) *api.Allocation {
	return &api.Allocation{
		ID: a.ID, NodeID: a.NodeID, JobID: a.JobID, TaskGroup: a.TaskGroup,
		ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
		TaskStates: a.TaskStates,
	}
}

// Run sends updates until ctx ends.
func (u *updater) Run(ctx context.Context) {
	backoff := u.retryMin
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.wake:
		}
		batch := u.take()
		if len(batch) == 0 {
			continue
		}
		wait := u.interval
		if err := u.send(ctx, batch); err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				u.logger.Warn("send allocation updates", "error", err, "allocs", len(batch))
			}
			failing = true
			u.putBack(batch)
			wait = backoff
			backoff = min(2*backoff, u.retryMax)
		} else {
			if failing {
				u.logger.Info("allocation updates sent again", "allocs", len(batch))
			}
			failing = false
			backoff = u.retryMin
		}
		if !sleepCtx(ctx, wait) {
			return
		}
	}
}

// take removes up to maxUpdateBatch pending updates, waking Run again
// when more are left.
func (u *updater) take() []*api.Allocation {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]*api.Allocation, 0, min(len(u.pending), maxUpdateBatch))
	for id, a := range u.pending {
		if len(out) == maxUpdateBatch {
			select {
			case u.wake <- struct{}{}:
			default:
			}
			break
		}
		out = append(out, a)
		delete(u.pending, id)
	}
	return out
}

// putBack re-queues a failed batch, keeping any newer change.
func (u *updater) putBack(batch []*api.Allocation) {
	u.mu.Lock()
	for _, a := range batch {
		if _, newer := u.pending[a.ID]; !newer {
			u.pending[a.ID] = a
		}
	}
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// sleepCtx waits d, reporting false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
