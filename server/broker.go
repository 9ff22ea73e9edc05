package server

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/constellation-sched/constellation/api"
)

// errBrokerDisabled is returned by Dequeue when this server stops being
// leader.
var errBrokerDisabled = errors.New("evaluation broker is disabled")

// maxDeliveries is how many times an evaluation is handed to a worker
// before it is marked failed.
const maxDeliveries = 3

// evalBroker queues pending evaluations on the leader and hands them to
// scheduling workers, at most one per job at a time, highest priority
// first. Evaluations that arrive for a job while one of its evaluations is
// out wait; when it is acknowledged the newest waiting one is released and
// the older ones, which it supersedes, are returned to be canceled.
type evalBroker struct {
	notify chan struct{}

	// mu guards the fields below.
	mu         sync.Mutex
	enabled    bool
	ready      []*api.Evaluation
	waiting    map[string][]*api.Evaluation
	out        map[string]*api.Evaluation // by eval ID
	jobOut     map[string]bool
	known      map[string]bool
	deliveries map[string]int
}

func newEvalBroker() *evalBroker {
	b := &evalBroker{notify: make(chan struct{}, 1)}
	b.resetLocked()
	return b
}

func (b *evalBroker) resetLocked() {
	b.ready = nil
	b.waiting = map[string][]*api.Evaluation{}
	b.out = map[string]*api.Evaluation{}
	b.jobOut = map[string]bool{}
	b.known = map[string]bool{}
	b.deliveries = map[string]int{}
}

// SetEnabled turns the broker on when this server becomes leader and off,
// dropping everything queued, when it stops.
func (b *evalBroker) SetEnabled(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled = on
	if !on {
		b.resetLocked()
	}
	b.wakeLocked()
}

// Enqueue adds a pending evaluation; an evaluation already known is
// ignored.
func (b *evalBroker) Enqueue(eval *api.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled || b.known[eval.ID] {
		return
	}
	b.known[eval.ID] = true
	if b.jobOut[eval.JobID] {
		b.waiting[eval.JobID] = append(b.waiting[eval.JobID], eval)
		return
	}
	b.pushReadyLocked(eval)
}

func (b *evalBroker) pushReadyLocked(eval *api.Evaluation) {
	b.ready = append(b.ready, eval)
	sort.SliceStable(b.ready, func(i, j int) bool {
		return b.ready[i].Priority > b.ready[j].Priority
	})
	b.wakeLocked()
}

func (b *evalBroker) wakeLocked() {
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// Dequeue blocks until an evaluation is ready and hands it out.
func (b *evalBroker) Dequeue(ctx context.Context) (*api.Evaluation, error) {
	for {
		b.mu.Lock()
		if !b.enabled {
			b.mu.Unlock()
			return nil, errBrokerDisabled
		}
		for i, eval := range b.ready {
			if b.jobOut[eval.JobID] {
				continue
			}
			b.ready = append(b.ready[:i], b.ready[i+1:]...)
			b.out[eval.ID] = eval
			b.jobOut[eval.JobID] = true
			b.deliveries[eval.ID]++
			if len(b.ready) > 0 {
				b.wakeLocked()
			}
			b.mu.Unlock()
			return eval, nil
		}
		b.mu.Unlock()

		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.notify:
		}
	}
}

// Ack marks an evaluation done. It returns the evaluations of the same job
// that the released one supersedes, for the caller to cancel.
func (b *evalBroker) Ack(evalID string) []*api.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	eval, ok := b.out[evalID]
	if !ok {
		return nil
	}
	delete(b.out, evalID)
	delete(b.known, evalID)
	delete(b.deliveries, evalID)
	delete(b.jobOut, eval.JobID)

	waiting := b.waiting[eval.JobID]
	delete(b.waiting, eval.JobID)
	if len(waiting) == 0 {
		b.wakeLocked()
		return nil
	}
	newest := waiting[len(waiting)-1]
	superseded := waiting[:len(waiting)-1]
	for _, e := range superseded {
		delete(b.known, e.ID)
	}
	b.pushReadyLocked(newest)
	return superseded
}

// Nack returns an evaluation a worker could not finish. It is queued again
// unless it has been delivered maxDeliveries times; then Nack returns
// false and the caller marks it failed (and must still Ack it).
func (b *evalBroker) Nack(evalID string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	eval, ok := b.out[evalID]
	if !ok {
		return false
	}
	if b.deliveries[evalID] >= maxDeliveries {
		return false
	}
	delete(b.out, evalID)
	delete(b.jobOut, eval.JobID)
	b.pushReadyLocked(eval)
	return true
}

// Len counts the evaluations queued or out.
func (b *evalBroker) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.ready) + len(b.out)
	for _, w := range b.waiting {
		n += len(w)
	}
	return n
}
