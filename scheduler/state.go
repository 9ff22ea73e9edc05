package scheduler

import "github.com/constellation-sched/constellation/api"

// State is the read-only view of cluster state the scheduler works on: a
// snapshot taken at one Raft index. The FSM's state snapshot implements it;
// tests implement it in memory. Lookups of missing objects return nil and
// no error.
type State interface {
	// Nodes returns every client node.
	Nodes() ([]*api.Node, error)
	// NodeByID returns one node.
	NodeByID(id string) (*api.Node, error)
	// JobByID returns the current version of a job.
	JobByID(id string) (*api.Job, error)
	// AllocsByJob returns every allocation of a job, terminal ones too.
	AllocsByJob(jobID string) ([]*api.Allocation, error)
	// AllocsByNode returns every allocation placed on a node.
	AllocsByNode(nodeID string) ([]*api.Allocation, error)
	// EvalByID returns one evaluation.
	EvalByID(id string) (*api.Evaluation, error)
	// LatestIndex is the Raft index the snapshot was taken at.
	LatestIndex() uint64
}

// Planner is how the scheduler changes state: it never writes directly.
// The server implements it through the plan applier and Raft; tests
// implement it with a recorder.
type Planner interface {
	// SubmitPlan hands a plan to the plan applier. When part of it was
	// refused, the result's RefreshIndex is set and the returned State is
	// at least that new, for the scheduler to try again on.
	SubmitPlan(plan *api.Plan) (*api.PlanResult, State, error)
	// UpdateEval records the evaluation's outcome.
	UpdateEval(eval *api.Evaluation) error
	// CreateEval records a follow-up evaluation, such as a blocked one.
	CreateEval(eval *api.Evaluation) error
}
