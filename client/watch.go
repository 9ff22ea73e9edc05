package client

import (
	"context"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// minWatchGap is the least time between two allocation queries that
// returned no change, so that a server answering too early cannot make
// the client spin.
const minWatchGap = 100 * time.Millisecond

// watchLoop holds a blocking query on the node's allocations and
// reconciles the runners with each answer. It starts once the node is
// registered and backs off after errors.
func (a *Agent) watchLoop(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-a.registered:
	}
	var index uint64
	backoff := a.cfg.RetryMin
	failing := false
	for {
		allocs, meta, err := a.nodeAllocations(ctx, index)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !failing {
				a.logger.Warn("watch allocations", "error", err)
			}
			failing = true
			if api.IsNotFound(err) {
				a.askRegister()
			}
			if !sleepCtx(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, a.cfg.RetryMax)
			continue
		}
		failing = false
		backoff = a.cfg.RetryMin

		// A lower index means the servers' state was rebuilt: start over.
		changed := meta.LastIndex != index
		if meta.LastIndex < index {
			index = 0
		} else {
			index = meta.LastIndex
		}
		a.reconcile(ctx, allocs)
		a.startRestored(ctx)
		if !changed && !sleepCtx(ctx, minWatchGap) {
			return
		}
	}
}

func (a *Agent) nodeAllocations(ctx context.Context, index uint64) (
	[]*api.Allocation, *api.QueryMeta, error) {
	var (
		allocs []*api.Allocation
		meta   *api.QueryMeta
	)
	err := a.servers.Do(ctx, func(c *api.Client) error {
		q := &api.QueryOptions{WaitIndex: index, WaitTime: a.cfg.WatchWait}
		rctx, cancel := context.WithTimeout(ctx, a.cfg.WatchWait+requestTimeout)
		defer cancel()
		var err error
		allocs, meta, err = c.NodeAllocations(rctx, a.nodeID, q)
		return err
	})
	return allocs, meta, err
}

func (a *Agent) askRegister() {
	select {
	case a.reregister <- struct{}{}:
	default:
	}
}

// reconcile brings the runners in line with the servers' list: new
// allocations start, known ones take the servers' changes, and those no
// longer listed are stopped and forgotten once finished. An allocation the
// servers already consider finished is never started.
func (a *Agent) reconcile(ctx context.Context, allocs []*api.Allocation) {
	listed := make(map[string]bool, len(allocs))
	for _, alloc := range allocs {
		if alloc == nil || alloc.ID == "" {
			continue
		}
		listed[alloc.ID] = true
		if ar := a.runner(alloc.ID); ar != nil {
			ar.Update(alloc)
			continue
		}
		if alloc.Terminal() {
			continue
		}
		a.startAlloc(ctx, alloc)
	}
	for _, ar := range a.runnerList() {
		id := ar.Alloc().ID
		if listed[id] {
			continue
		}
		ar.Stop(killStop, "Task killed: the allocation is no longer assigned to this node")
		a.forgetWhenDone(ctx, ar, id)
	}
}

func (a *Agent) startAlloc(ctx context.Context, alloc *api.Allocation) {
	ar, err := newAllocRunner(alloc, a.allocsDir, a.drivers, false, a.state, a.logger, a.allocChanged)
	if err != nil {
		// The allocation cannot run here; say so instead of retrying.
		a.logger.Error("start allocation", "alloc_id", alloc.ID, "error", err)
		failed := updateOf(alloc)
		failed.ClientStatus = api.AllocClientFailed
		failed.ClientDescription = err.Error()
		a.updates.Queue(failed)
		return
	}
	a.logger.Info("allocation received", "alloc_id", alloc.ID, "job_id", alloc.JobID,
		"group", alloc.TaskGroup)
	// Record the allocation before its tasks can change it, so that this
	// first snapshot never replaces a newer one.
	a.allocChanged(ar.Alloc())
	a.addRunner(ctx, ar)
}

// forgetWhenDone drops a runner, and its state record, once its tasks
// have stopped. The allocation directory stays for its logs.
//
// TODO: allocation directories of forgotten allocations are never
// removed; they need a garbage collector bounded by disk use.
func (a *Agent) forgetWhenDone(ctx context.Context, ar *allocRunner, id string) {
	a.mu.Lock()
	if a.forgetting[id] {
		a.mu.Unlock()
		return
	}
	a.forgetting[id] = true
	a.mu.Unlock()
	a.goLoop(func() {
		select {
		case <-ctx.Done():
			return
		case <-ar.Done():
		}
		a.mu.Lock()
		if a.runners[id] == ar {
			delete(a.runners, id)
		}
		delete(a.forgetting, id)
		a.mu.Unlock()
		if err := a.state.Delete(id); err != nil {
			a.logger.Error("save client state", "alloc_id", id, "error", err)
		}
	})
}
