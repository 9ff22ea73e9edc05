package server

import (
	"context"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
)

// blockedEvals holds, on the leader, the evaluations whose placements did
// not fit, one per job (the newest). When capacity may have freed up (a
// node joined or became ready, allocations stopped) they are all made
// pending again and queued, at most a few times a second.
type blockedEvals struct {
	s       *Server
	trigger chan struct{}

	// mu guards the fields below.
	mu       sync.Mutex
	enabled  bool
	byJob    map[string]*api.Evaluation
	toCancel []*api.Evaluation
}

func newBlockedEvals(s *Server) *blockedEvals {
	return &blockedEvals{s: s, trigger: make(chan struct{}, 1), byJob: map[string]*api.Evaluation{}}
}

// SetEnabled turns tracking on when this server becomes leader and off,
// forgetting everything, when it stops.
func (b *blockedEvals) SetEnabled(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled = on
	b.byJob = map[string]*api.Evaluation{}
	b.toCancel = nil
}

// Block tracks a blocked evaluation; an older one of the same job is
// canceled.
func (b *blockedEvals) Block(eval *api.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled {
		return
	}
	if old, ok := b.byJob[eval.JobID]; ok && old.ID != eval.ID {
		if old.CreateIndex > eval.CreateIndex {
			b.toCancel = append(b.toCancel, eval)
			return
		}
		b.toCancel = append(b.toCancel, old)
	}
	b.byJob[eval.JobID] = eval
}

// Unblock asks for every blocked evaluation to be retried.
func (b *blockedEvals) Unblock() {
	select {
	case b.trigger <- struct{}{}:
	default:
	}
}

// Len counts the blocked evaluations.
func (b *blockedEvals) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byJob)
}

// run retries blocked evaluations when asked, until ctx ends.
func (b *blockedEvals) run(ctx context.Context) {
	const minGap = 250 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.trigger:
		}
		b.flush()
		select {
		case <-ctx.Done():
			return
		case <-time.After(minGap):
		}
	}
}

// flush commits the retried and canceled evaluations and queues the
// retried ones.
func (b *blockedEvals) flush() {
	b.mu.Lock()
	var evals []*api.Evaluation
	for _, e := range b.toCancel {
		c := *e
		c.Status = api.EvalStatusCanceled
		c.StatusDescription = "superseded by a newer blocked evaluation of the job"
		evals = append(evals, &c)
	}
	var retried []*api.Evaluation
	for job, e := range b.byJob {
		c := *e
		c.Status = api.EvalStatusPending
		c.StatusDescription = "capacity changed: retrying placements"
		retried = append(retried, &c)
		delete(b.byJob, job)
	}
	b.toCancel = nil
	b.mu.Unlock()

	evals = append(evals, retried...)
	if len(evals) == 0 {
		return
	}
	now := time.Now().UnixNano()
	for _, e := range evals {
		e.ModifyTime = now
	}
	index, err := b.s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals})
	if err != nil {
		b.s.logger.Warn("retry blocked evaluations", "error", err)
		return
	}
	for _, e := range retried {
		e.ModifyIndex = index
		b.s.broker.Enqueue(e)
	}
}
