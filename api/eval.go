package api

// Evaluation statuses.
const (
	EvalStatusPending  = "pending"
	EvalStatusComplete = "complete"
	EvalStatusFailed   = "failed"
	EvalStatusBlocked  = "blocked"
	EvalStatusCanceled = "canceled"
)

// What triggered an evaluation.
const (
	EvalTriggerJobRegister   = "job-register"
	EvalTriggerJobDeregister = "job-deregister"
	EvalTriggerNodeUpdate    = "node-update"
	EvalTriggerNodeDrain     = "node-drain"
	EvalTriggerAllocFailure  = "alloc-failure"
	EvalTriggerQueuedAllocs  = "queued-allocs"
	EvalTriggerRetry         = "retry"
	EvalTriggerDeviceHealth  = "device-health"
	EvalTriggerScaling       = "scaling"
)

// Evaluation asks the scheduler to reconcile one job with the cluster.
type Evaluation struct {
	ID          string
	Priority    int
	Type        string
	TriggeredBy string
	JobID       string
	// JobModifyIndex is the job's modify index when the eval was made.
	JobModifyIndex uint64
	NodeID         string

	Status            string
	StatusDescription string
	// FailedTGAllocs counts, per task group, placements that found no
	// node, with the reason.
	FailedTGAllocs map[string]*AllocMetric
	// QueuedAllocations counts, per task group, placements still waiting.
	QueuedAllocations map[string]int
	// BlockedEval is the ID of the blocked evaluation made to retry the
	// placements that did not fit.
	BlockedEval string
	// PreviousEval is the evaluation this one follows from.
	PreviousEval string

	CreateIndex uint64
	ModifyIndex uint64
	CreateTime  int64
	ModifyTime  int64
}

// AllocMetric explains why placements failed.
type AllocMetric struct {
	NodesEvaluated int
	NodesFiltered  int
	NodesExhausted int
	// ConstraintFiltered counts nodes filtered per constraint.
	ConstraintFiltered map[string]int
	// DimensionExhausted counts nodes out of a resource (cpu, memory,
	// devices).
	DimensionExhausted map[string]int
	CoalescedFailures  int
}

// Plan is a scheduler's proposal for one evaluation: allocations to stop
// and allocations to place, per node.
type Plan struct {
	EvalID   string
	Priority int
	JobID    string
	// Job is the job the placements run.
	Job *Job
	// NodeUpdate holds allocations to stop or mark lost, per node.
	NodeUpdate map[string][]*Allocation
	// NodeAllocation holds allocations to place or update in place, per
	// node.
	NodeAllocation map[string][]*Allocation
}

// PlanResult is what the plan applier committed.
type PlanResult struct {
	NodeUpdate     map[string][]*Allocation
	NodeAllocation map[string][]*Allocation
	// RefreshIndex is set when part of the plan was refused: the scheduler
	// must read state at least this new and try again.
	RefreshIndex uint64
	// AllocIndex is the Raft index at which the plan was committed.
	AllocIndex uint64
	// RejectedNodes lists nodes whose part of the plan was refused.
	RejectedNodes []string
}

// IsNoOp reports whether the plan changes nothing.
func (p *Plan) IsNoOp() bool {
	return len(p.NodeUpdate) == 0 && len(p.NodeAllocation) == 0
}

// AppendUpdate adds an allocation to stop with the given desired status
// and description.
func (p *Plan) AppendUpdate(alloc *Allocation, desired, desc, clientStatus string) {
	a := *alloc
	a.Job = nil
	a.DesiredStatus = desired
	a.DesiredDescription = desc
	if clientStatus != "" {
		a.ClientStatus = clientStatus
	}
	if p.NodeUpdate == nil {
		p.NodeUpdate = map[string][]*Allocation{}
	}
	p.NodeUpdate[alloc.NodeID] = append(p.NodeUpdate[alloc.NodeID], &a)
}

// AppendAlloc adds an allocation to place.
func (p *Plan) AppendAlloc(alloc *Allocation) {
	if p.NodeAllocation == nil {
		p.NodeAllocation = map[string][]*Allocation{}
	}
	p.NodeAllocation[alloc.NodeID] = append(p.NodeAllocation[alloc.NodeID], alloc)
}
