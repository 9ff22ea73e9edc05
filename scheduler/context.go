package scheduler

import (
	"fmt"

	"github.com/constellation-sched/constellation/api"
)

// planContext is the plan being built together with what each node it has
// looked at would hold once the plan is applied.
type planContext struct {
	state State
	plan  *api.Plan
	// usage caches, per node ID, the node's non-terminal allocations from
	// the snapshot with the plan's stops and placements applied.
	usage map[string]*nodeUsage
}

// newPlanContext starts an empty plan for eval and job on state.
func newPlanContext(state State, eval *api.Evaluation, job *api.Job) *planContext {
	plan := &api.Plan{EvalID: eval.ID, Priority: eval.Priority, JobID: eval.JobID, Job: job}
	if job != nil {
		plan.Priority = job.Priority
	}
	return &planContext{state: state, plan: plan, usage: map[string]*nodeUsage{}}
}

// usageOf returns what the node would hold after the plan, reading the
// node's allocations from the snapshot the first time.
func (c *planContext) usageOf(nodeID string) (*nodeUsage, error) {
	if u, ok := c.usage[nodeID]; ok {
		return u, nil
	}
	existing, err := c.state.AllocsByNode(nodeID)
	if err != nil {
		return nil, fmt.Errorf("read allocations of node %s: %w", nodeID, err)
	}
	u := newNodeUsage(existing, c.plan.NodeUpdate[nodeID], c.plan.NodeAllocation[nodeID])
	c.usage[nodeID] = u
	return u, nil
}

// stop adds an allocation to stop (or mark lost when clientStatus is
// api.AllocClientLost) to the plan.
func (c *planContext) stop(alloc *api.Allocation, desc, clientStatus string) {
	c.plan.AppendUpdate(alloc, api.AllocDesiredStop, desc, clientStatus)
	if u, ok := c.usage[alloc.NodeID]; ok {
		u.remove(alloc.ID)
	}
}

// place adds an allocation to place, or an in-place update of an existing
// one, to the plan.
func (c *planContext) place(alloc *api.Allocation) {
	c.plan.AppendAlloc(alloc)
	if u, ok := c.usage[alloc.NodeID]; ok {
		u.put(alloc)
	}
}
