package scheduler

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler/devices"
)

// maxPlanAttempts is how many times Process builds and submits a plan when
// the plan applier keeps refusing part of it.
const maxPlanAttempts = 5

// idNamespace is the UUID namespace of the name-based IDs the scheduler
// gives allocations and blocked evaluations.
var idNamespace = uuid.MustParse("5b0f3c1e-8a43-4c6e-9d53-2f7e1c0a9b42")

// errInvalidJob marks a job the scheduler cannot place as written; the
// evaluation fails with the message, which says what to change.
var errInvalidJob = errors.New("invalid job")

// GenericScheduler places the allocations of service and batch jobs.
type GenericScheduler struct {
	logger  *slog.Logger
	state   State
	planner Planner
	// limit overrides how many fitting nodes a placement scores: 0 keeps
	// the default rule (see minCandidateLimit), < 0 scores every node.
	limit int
}

// outcome is what one attempt at planning an evaluation produced.
type outcome struct {
	job    *api.Job
	ctx    *planContext
	failed map[string]*api.AllocMetric
	queued map[string]int
	notes  []string
}

// NewGenericScheduler returns a scheduler that reads state, a snapshot, and
// writes only through planner. A nil logger discards logs.
func NewGenericScheduler(logger *slog.Logger, state State, planner Planner) *GenericScheduler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &GenericScheduler{logger: logger, state: state, planner: planner}
}

// WithCandidateLimit sets how many fitting nodes each placement scores: n >
// 0 fixes it, n < 0 scores every feasible node, 0 restores the default
// (16, see defaultCandidateLimit). It returns s.
func (s *GenericScheduler) WithCandidateLimit(n int) *GenericScheduler {
	s.limit = n
	return s
}

// Process reconciles eval's job with the cluster: it builds a plan, submits
// it (again on newer state, up to 5 times, while the plan applier refuses
// part of it), creates a blocked evaluation for placements that found no
// node, and records the evaluation as complete or failed through the
// planner. It returns an error only when state could not be read or the
// planner failed; the evaluation is then left as it was, for a retry.
func (s *GenericScheduler) Process(eval *api.Evaluation) error {
	if eval == nil {
		return errors.New("process eval: evaluation is nil")
	}
	log := s.logger.With("eval_id", eval.ID, "job_id", eval.JobID)
	var rejected []string
	for attempt := 1; attempt <= maxPlanAttempts; attempt++ {
		out, err := s.plan(eval)
		if errors.Is(err, errInvalidJob) {
			log.Debug("eval failed", "error", err)
			return s.record(eval, nil, api.EvalStatusFailed, err.Error())
		}
		if err != nil {
			return fmt.Errorf("process eval %s: %w", eval.ID, err)
		}
		if out.ctx.plan.IsNoOp() {
			return s.finish(eval, out)
		}

		// Submit; on a partial refusal, plan again on the newer state.
		result, state, err := s.planner.SubmitPlan(out.ctx.plan)
		if err != nil {
			return fmt.Errorf("process eval %s: submit plan: %w", eval.ID, err)
		}
		if result == nil {
			return fmt.Errorf("process eval %s: submit plan: planner returned no result", eval.ID)
		}
		if result.RefreshIndex == 0 {
			return s.finish(eval, out)
		}
		if state == nil {
			return fmt.Errorf("process eval %s: plan refused on nodes %v but planner returned no newer state",
				eval.ID, result.RejectedNodes)
		}
		rejected = result.RejectedNodes
		log.Debug("plan partly refused", "attempt", attempt,
			"refresh_index", result.RefreshIndex, "rejected_nodes", len(rejected))
		s.state = state
	}
	desc := fmt.Sprintf("plan refused %d times; last refused on nodes %s",
		maxPlanAttempts, strings.Join(rejected, ", "))
	log.Debug("eval failed", "error", desc)
	return s.record(eval, nil, api.EvalStatusFailed, desc)
}

// plan builds one plan for eval on the current state.
func (s *GenericScheduler) plan(eval *api.Evaluation) (*outcome, error) {
	job, err := s.state.JobByID(eval.JobID)
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", eval.JobID, err)
	}
	allocs, err := s.state.AllocsByJob(eval.JobID)
	if err != nil {
		return nil, fmt.Errorf("read allocations of job %s: %w", eval.JobID, err)
	}
	nodes, err := s.state.Nodes()
	if err != nil {
		return nil, fmt.Errorf("read nodes: %w", err)
	}
	checker := newConstraintChecker()
	if job != nil && !job.Stop {
		if err := validateJob(job, checker); err != nil {
			return nil, err
		}
	}

	// Reconcile, then apply stops and in-place updates before placing, so
	// that placements see the room the stops free.
	byID := make(map[string]*api.Node, len(nodes))
	for _, n := range nodes {
		byID[n.ID] = n
	}
	rec := reconcile(job, allocs, byID)
	out := &outcome{job: job, ctx: newPlanContext(s.state, eval, job), notes: rec.notes,
		failed: map[string]*api.AllocMetric{}, queued: map[string]int{}}
	for _, st := range rec.stops {
		out.ctx.stop(st.alloc, st.desc, st.clientStatus)
	}
	for _, a := range rec.inplace {
		out.ctx.place(a)
	}
	if len(rec.places) > 0 {
		err = s.placeAll(eval, out, rec.places, examinationOrder(nodes, eval.ID), checker)
	}
	return out, err
}

// placeAll finds a node for each placement, recording those that found
// none.
func (s *GenericScheduler) placeAll(eval *api.Evaluation, out *outcome, places []placement,
	nodes []*api.Node, checker *constraintChecker) error {
	job := out.job
	order := map[string]int{}
	for i, tg := range job.TaskGroups {
		order[tg.Name] = i
	}
	slices.SortStableFunc(places, func(a, b placement) int {
		return cmp.Or(cmp.Compare(order[a.tg.Name], order[b.tg.Name]), cmp.Compare(a.index, b.index))
	})

	groups := map[string]*groupFeasibility{}
	for seq, p := range places {
		f := groups[p.tg.Name]
		if f == nil {
			f = newGroupFeasibility(job, p.tg, nodes, checker)
			groups[p.tg.Name] = f
		}
		if f.failed != nil {
			f.failed.CoalescedFailures++
			out.queued[p.tg.Name]++
			continue
		}
		best, metric, err := out.ctx.selectNode(job, f, p.avoidNode, candidateLimit(len(f.nodes), s.limit))
		if err != nil {
			return fmt.Errorf("place %s: %w", p.name, err)
		}
		if best == nil {
			f.failed = metric
			out.failed[p.tg.Name] = metric
			out.queued[p.tg.Name]++
			continue
		}
		out.ctx.place(s.newAlloc(eval, job, p, best, seq))
		if st := p.stopOnPlace; st != nil {
			out.ctx.stop(st.alloc, st.desc, st.clientStatus)
		}
	}
	return nil
}

// newAlloc builds the allocation for placement p on the chosen node.
func (s *GenericScheduler) newAlloc(eval *api.Evaluation, job *api.Job, p placement,
	best *rankedNode, seq int) *api.Allocation {
	key := fmt.Sprintf("alloc/%s/%d/%d/%s", eval.ID, s.state.LatestIndex(), seq, p.name)
	alloc := &api.Allocation{
		ID:              uuid.NewSHA1(idNamespace, []byte(key)).String(),
		EvalID:          eval.ID,
		Name:            p.name,
		NodeID:          best.node.ID,
		JobID:           job.ID,
		TaskGroup:       p.tg.Name,
		Job:             job,
		Resources:       make(map[string]*api.AllocatedResources, len(p.tg.Tasks)),
		DesiredStatus:   api.AllocDesiredRun,
		ClientStatus:    api.AllocClientPending,
		RescheduleCount: p.rescheduleCount,
	}
	if p.previous != nil {
		alloc.PreviousAllocation = p.previous.ID
	}
	for _, t := range p.tg.Tasks {
		r := &api.AllocatedResources{Devices: best.devices[t.Name]}
		if t.Resources != nil {
			r.CPU, r.MemoryMB = t.Resources.CPU, t.Resources.MemoryMB
		}
		alloc.Resources[t.Name] = r
	}
	return alloc
}

// finish records a planned evaluation: a blocked evaluation for what found
// no node, then the evaluation itself as complete.
func (s *GenericScheduler) finish(eval *api.Evaluation, out *outcome) error {
	placed, stopped := 0, 0
	for _, allocs := range out.ctx.plan.NodeAllocation {
		placed += len(allocs)
	}
	for _, allocs := range out.ctx.plan.NodeUpdate {
		stopped += len(allocs)
	}
	s.logger.Debug("eval planned", "eval_id", eval.ID, "job_id", eval.JobID,
		"placed", placed, "stopped", stopped, "failed_groups", len(out.failed))
	return s.record(eval, out, api.EvalStatusComplete, strings.Join(out.notes, "; "))
}

// record creates the blocked evaluation when out has failed placements and
// updates eval with status and description.
func (s *GenericScheduler) record(eval *api.Evaluation, out *outcome, status, desc string) error {
	e := *eval
	e.Status, e.StatusDescription = status, desc
	if out != nil && len(out.failed) > 0 {
		blocked := &api.Evaluation{
			ID:                uuid.NewSHA1(idNamespace, fmt.Appendf(nil, "blocked/%s/%d", eval.ID, s.state.LatestIndex())).String(),
			Priority:          eval.Priority,
			Type:              eval.Type,
			TriggeredBy:       api.EvalTriggerQueuedAllocs,
			JobID:             eval.JobID,
			JobModifyIndex:    out.job.JobModifyIndex,
			Status:            api.EvalStatusBlocked,
			PreviousEval:      eval.ID,
			QueuedAllocations: out.queued,
		}
		if err := s.planner.CreateEval(blocked); err != nil {
			return fmt.Errorf("create blocked eval for eval %s: %w", eval.ID, err)
		}
		e.BlockedEval = blocked.ID
		e.FailedTGAllocs = out.failed
	}
	if out != nil {
		e.QueuedAllocations = out.queued
	}
	if err := s.planner.UpdateEval(&e); err != nil {
		return fmt.Errorf("update eval %s: %w", eval.ID, err)
	}
	return nil
}

// validateJob checks that the scheduler can place job, compiling its
// constraints into checker.
func validateJob(job *api.Job, checker *constraintChecker) error {
	if job.Type != api.JobTypeService && job.Type != api.JobTypeBatch {
		return fmt.Errorf("%w: job %s has type %q; the generic scheduler runs %q and %q jobs",
			errInvalidJob, job.ID, job.Type, api.JobTypeService, api.JobTypeBatch)
	}
	cons := slices.Clone(job.Constraints)
	for _, tg := range job.TaskGroups {
		if tg.Count < 0 {
			return fmt.Errorf("%w: task group %s has count %d; set it to 0 or more",
				errInvalidJob, tg.Name, tg.Count)
		}
		cons = append(cons, tg.Constraints...)
		for _, t := range tg.Tasks {
			cons = append(cons, t.Constraints...)
			if t.Resources == nil {
				continue
			}
			for _, req := range t.Resources.Devices {
				if err := devices.ValidateRequest(req); err != nil {
					return fmt.Errorf("%w: task %s: %w", errInvalidJob, t.Name, err)
				}
			}
		}
	}
	for _, con := range cons {
		if err := checker.compile(con); err != nil {
			return fmt.Errorf("%w: %w", errInvalidJob, err)
		}
	}
	return nil
}

// examinationOrder returns the nodes sorted by ID and then shuffled with a
// seed drawn from the evaluation ID: the same for the same evaluation,
// different across evaluations.
func examinationOrder(nodes []*api.Node, evalID string) []*api.Node {
	out := slices.Clone(nodes)
	slices.SortFunc(out, func(a, b *api.Node) int { return strings.Compare(a.ID, b.ID) })
	h := fnv.New64a()
	h.Write([]byte(evalID))
	seed := h.Sum64()
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
