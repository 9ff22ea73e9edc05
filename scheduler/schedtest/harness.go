package schedtest

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler"
)

// Harness is a recording scheduler.Planner over an in-memory State. Each
// plan submitted is checked with scheduler.EvaluatePlan against the
// harness's current state (not the snapshot the plan was built on) and the
// accepted part is applied, as the server's plan applier would.
type Harness struct {
	// State is the live state plans are applied to.
	State *State
	// Logger is handed to the schedulers Process makes; nil discards.
	Logger *slog.Logger

	// Plans, Results, UpdatedEvals and CreatedEvals record every call.
	Plans        []*api.Plan
	Results      []*api.PlanResult
	UpdatedEvals []*api.Evaluation
	CreatedEvals []*api.Evaluation

	// BeforeApply, when set, runs before each submitted plan is checked,
	// so that a test can change the state as a concurrent writer would.
	BeforeApply func(plan *api.Plan)
	// NoApply, when set, checks plans but applies nothing, so that the
	// same evaluation can be planned again on the same state.
	NoApply bool
}

// NewHarness returns a harness over an empty state.
func NewHarness() *Harness {
	return &Harness{State: NewState()}
}

// Process runs a generic scheduler for eval on a snapshot of the current
// state.
func (h *Harness) Process(eval *api.Evaluation) error {
	return h.Scheduler(h.State.Snapshot()).Process(eval)
}

// Scheduler returns a generic scheduler that reads state (such as an older
// snapshot) and plans through h.
func (h *Harness) Scheduler(state scheduler.State) *scheduler.GenericScheduler {
	return scheduler.NewGenericScheduler(h.Logger, state, h)
}

// NewEval stores and returns a pending evaluation of job.
func (h *Harness) NewEval(job *api.Job, trigger string) *api.Evaluation {
	eval := &api.Evaluation{
		ID:             uuid.NewString(),
		Priority:       job.Priority,
		Type:           job.Type,
		TriggeredBy:    trigger,
		JobID:          job.ID,
		JobModifyIndex: job.JobModifyIndex,
		Status:         api.EvalStatusPending,
	}
	h.State.UpsertEval(eval)
	return eval
}

// SubmitPlan checks the plan against the current state, applies the
// accepted part, and returns the result, with a snapshot of the new state
// when part was refused.
func (h *Harness) SubmitPlan(plan *api.Plan) (*api.PlanResult, scheduler.State, error) {
	if plan == nil {
		return nil, nil, errors.New("submit plan: plan is nil")
	}
	if h.BeforeApply != nil {
		h.BeforeApply(plan)
	}
	h.Plans = append(h.Plans, plan)
	result, err := scheduler.EvaluatePlan(h.State, plan)
	if err != nil {
		return nil, nil, fmt.Errorf("submit plan: %w", err)
	}
	h.Results = append(h.Results, result)
	if !h.NoApply {
		result.AllocIndex = h.Apply(result)
	}
	if result.RefreshIndex == 0 {
		return result, nil, nil
	}
	return result, h.State.Snapshot(), nil
}

// Apply commits a plan result to the state and returns its index: stops
// change the stored allocation's desired (and, for lost ones, client)
// status, the client status only to mark them lost (the rest of the copy
// in the plan may be stale); placements are stored as given.
func (h *Harness) Apply(result *api.PlanResult) uint64 {
	var batch []*api.Allocation
	for _, stops := range result.NodeUpdate {
		for _, stop := range stops {
			old := h.State.AllocByID(stop.ID)
			if old == nil {
				continue
			}
			a := *old
			a.DesiredStatus, a.DesiredDescription = stop.DesiredStatus, stop.DesiredDescription
			if stop.ClientStatus == api.AllocClientLost {
				a.ClientStatus = stop.ClientStatus
			}
			batch = append(batch, &a)
		}
	}
	for _, places := range result.NodeAllocation {
		for _, place := range places {
			a := *place
			batch = append(batch, &a)
		}
	}
	index := h.State.UpsertAllocs(batch...)
	for _, a := range batch {
		a.AllocModifyIndex = index
	}
	return index
}

// UpdateEval records and stores the evaluation.
func (h *Harness) UpdateEval(eval *api.Evaluation) error {
	h.UpdatedEvals = append(h.UpdatedEvals, eval)
	h.State.UpsertEval(eval)
	return nil
}

// CreateEval records and stores the evaluation.
func (h *Harness) CreateEval(eval *api.Evaluation) error {
	h.CreatedEvals = append(h.CreatedEvals, eval)
	h.State.UpsertEval(eval)
	return nil
}

// LastEval returns the evaluation last passed to UpdateEval, or nil.
func (h *Harness) LastEval() *api.Evaluation {
	if len(h.UpdatedEvals) == 0 {
		return nil
	}
	return h.UpdatedEvals[len(h.UpdatedEvals)-1]
}

// Running returns the job's allocations the servers want running and the
// client has not finished, per task group.
func (h *Harness) Running(jobID string) map[string][]*api.Allocation {
	allocs, _ := h.State.AllocsByJob(jobID)
	out := map[string][]*api.Allocation{}
	for _, a := range allocs {
		if !a.Terminal() {
			out[a.TaskGroup] = append(out[a.TaskGroup], a)
		}
	}
	return out
}
