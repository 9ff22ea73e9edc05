package server

import (
	"context"
	"fmt"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
	"github.com/constellation-sched/constellation/scheduler"
)

// planApplier is the leader's single committer of plans. It checks each
// plan against the newest state, so that plans built on older snapshots
// by concurrent workers never overcommit a node, and commits what fits.
type planApplier struct {
	s     *Server
	queue chan *pendingPlan
}

type pendingPlan struct {
	plan  *api.Plan
	reply chan planReply
}

type planReply struct {
	result *api.PlanResult
	err    error
}

func newPlanApplier(s *Server) *planApplier {
	return &planApplier{s: s, queue: make(chan *pendingPlan, 64)}
}

// submit queues a plan and waits for its result.
func (a *planApplier) submit(ctx context.Context, plan *api.Plan) (*api.PlanResult, error) {
	p := &pendingPlan{plan: plan, reply: make(chan planReply, 1)}
	select {
	case a.queue <- p:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-p.reply:
		return r.result, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run applies queued plans one at a time until ctx ends.
func (a *planApplier) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-a.queue:
			result, err := a.apply(p.plan)
			p.reply <- planReply{result: result, err: err}
		}
	}
}

// apply checks one plan against the newest state and commits the part
// that still fits.
func (a *planApplier) apply(plan *api.Plan) (*api.PlanResult, error) {
	snap := a.s.State().Snapshot()
	result, err := scheduler.EvaluatePlan(snap, plan)
	if err != nil {
		return nil, fmt.Errorf("check plan for eval %s: %w", plan.EvalID, err)
	}
	if len(result.NodeUpdate) == 0 && len(result.NodeAllocation) == 0 {
		return result, nil
	}

	req := &fsm.PlanApplyRequest{
		EvalID:    plan.EvalID,
		Job:       plan.Job,
		Timestamp: time.Now().UnixNano(),
	}
	stops := 0
	for _, allocs := range result.NodeUpdate {
		req.NodeUpdate = append(req.NodeUpdate, allocs...)
		stops += len(allocs)
	}
	for _, allocs := range result.NodeAllocation {
		req.Alloc = append(req.Alloc, allocs...)
	}
	index, err := a.s.raftApply(fsm.PlanApplyRequestType, req)
	if err != nil {
		return nil, fmt.Errorf("commit plan for eval %s: %w", plan.EvalID, err)
	}
	result.AllocIndex = index
	if len(result.RejectedNodes) > 0 && result.RefreshIndex < index {
		result.RefreshIndex = index
	}
	if stops > 0 {
		a.s.blocked.Unblock()
	}
	a.s.logger.Debug("plan committed", "eval_id", plan.EvalID, "job_id", plan.JobID,
		"placed", len(req.Alloc), "stopped", stops, "rejected_nodes", len(result.RejectedNodes))
	return result, nil
}
