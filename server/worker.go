package server

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
	"github.com/constellation-sched/constellation/scheduler"
)

// worker takes evaluations from the broker and runs the scheduler on them.
type worker struct {
	s      *Server
	logger *slog.Logger
}

func newWorker(s *Server, id int) *worker {
	return &worker{s: s, logger: s.logger.With("worker", id)}
}

// run processes evaluations until ctx ends or the broker is disabled.
func (w *worker) run(ctx context.Context) {
	for {
		eval, err := w.s.broker.Dequeue(ctx)
		if err != nil {
			return
		}
		w.process(ctx, eval)
	}
}

// process runs one evaluation and acknowledges it, marking it failed when
// the scheduler keeps failing on it.
func (w *worker) process(ctx context.Context, eval *api.Evaluation) {
	logger := w.logger.With("eval_id", eval.ID, "job_id", eval.JobID)
	snap, err := w.s.snapshotAtLeast(ctx, eval.ModifyIndex)
	if err == nil {
		planner := &workerPlanner{s: w.s, ctx: ctx}
		err = safeProcess(func() error {
			return scheduler.NewGenericScheduler(logger, snap, planner).Process(eval)
		})
	}
	if err != nil && ctx.Err() == nil {
		logger.Warn("scheduling evaluation failed", "error", err)
		if !w.s.broker.Nack(eval.ID) {
			failed := *eval
			failed.Status = api.EvalStatusFailed
			failed.StatusDescription = fmt.Sprintf("scheduling failed %d times: %v", maxDeliveries, err)
			w.s.updateEvals(&failed)
		} else {
			return
		}
	}
	superseded := w.s.broker.Ack(eval.ID)
	if len(superseded) > 0 {
		canceled := make([]*api.Evaluation, 0, len(superseded))
		for _, e := range superseded {
			c := *e
			c.Status = api.EvalStatusCanceled
			c.StatusDescription = "superseded by a newer evaluation of the job"
			canceled = append(canceled, &c)
		}
		w.s.updateEvals(canceled...)
	}
}

// safeProcess runs fn, turning a panic into an error with its stack.
func safeProcess(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("scheduler panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

// snapshotAtLeast waits until the local state has applied index and
// returns a snapshot of it.
func (s *Server) snapshotAtLeast(ctx context.Context, index uint64) (*fsm.Snapshot, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap := s.State().Snapshot()
		if snap.LatestIndex() >= index {
			return snap, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("state did not reach index %d", index)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// updateEvals commits evaluation updates, logging a failure.
func (s *Server) updateEvals(evals ...*api.Evaluation) {
	now := time.Now().UnixNano()
	for _, e := range evals {
		e.ModifyTime = now
	}
	if _, err := s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: evals}); err != nil {
		s.logger.Warn("update evaluations", "error", err)
	}
}

// workerPlanner is the scheduler's way to change state: plans go to the
// plan applier, evaluation updates through Raft.
type workerPlanner struct {
	s   *Server
	ctx context.Context
}

// SubmitPlan implements scheduler.Planner.
func (p *workerPlanner) SubmitPlan(plan *api.Plan) (*api.PlanResult, scheduler.State, error) {
	result, err := p.s.plans.submit(p.ctx, plan)
	if err != nil {
		return nil, nil, err
	}
	if result.RefreshIndex == 0 {
		return result, nil, nil
	}
	snap, err := p.s.snapshotAtLeast(p.ctx, result.RefreshIndex)
	if err != nil {
		return nil, nil, err
	}
	return result, snap, nil
}

// UpdateEval implements scheduler.Planner.
func (p *workerPlanner) UpdateEval(eval *api.Evaluation) error {
	eval.ModifyTime = time.Now().UnixNano()
	_, err := p.s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*api.Evaluation{eval}})
	return err
}

// CreateEval implements scheduler.Planner.
func (p *workerPlanner) CreateEval(eval *api.Evaluation) error {
	now := time.Now().UnixNano()
	if eval.CreateTime == 0 {
		eval.CreateTime = now
	}
	eval.ModifyTime = now
	index, err := p.s.raftApply(fsm.EvalUpdateRequestType, &fsm.EvalUpdateRequest{Evals: []*api.Evaluation{eval}})
	if err != nil {
		return err
	}
	stored := *eval
	stored.ModifyIndex = index
	if stored.CreateIndex == 0 {
		stored.CreateIndex = index
	}
	switch stored.Status {
	case api.EvalStatusBlocked:
		p.s.blocked.Block(&stored)
	case api.EvalStatusPending:
		p.s.broker.Enqueue(&stored)
	}
	return nil
}
