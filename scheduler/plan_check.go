package scheduler

import (
	"errors"
	"fmt"
	"slices"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler/devices"
)

// EvaluatePlan checks plan against state, the newest state, for the plan
// applier, and returns the part of it that may be committed. Stops are
// always accepted. A node's placements are accepted only when the node
// exists and is not down; when the part holds new allocations (not in-place
// updates of allocations already on the node), the node must also be ready,
// eligible and not draining; and the node's non-terminal allocations, less
// those the plan stops, plus those it places, must fit its CPU, memory and
// devices. A node whose part fails is left out of the result and listed in
// RejectedNodes, and RefreshIndex is set to state.LatestIndex() so that
// the scheduler plans again on state at least that new. The error is for
// state that could not be read.
func EvaluatePlan(state State, plan *api.Plan) (*api.PlanResult, error) {
	if plan == nil {
		return nil, errors.New("evaluate plan: plan is nil")
	}
	result := &api.PlanResult{
		NodeUpdate:     make(map[string][]*api.Allocation, len(plan.NodeUpdate)),
		NodeAllocation: make(map[string][]*api.Allocation, len(plan.NodeAllocation)),
	}
	for nodeID, stops := range plan.NodeUpdate {
		if len(stops) > 0 {
			result.NodeUpdate[nodeID] = stops
		}
	}
	for _, nodeID := range sortedKeys(plan.NodeAllocation) {
		places := plan.NodeAllocation[nodeID]
		if len(places) == 0 {
			continue
		}
		reason, err := checkNodePlan(state, nodeID, plan.NodeUpdate[nodeID], places)
		if err != nil {
			return nil, fmt.Errorf("evaluate plan for eval %s: %w", plan.EvalID, err)
		}
		if reason != nil {
			result.RejectedNodes = append(result.RejectedNodes, nodeID)
			result.RefreshIndex = state.LatestIndex()
			continue
		}
		result.NodeAllocation[nodeID] = places
	}
	return result, nil
}

// checkNodePlan returns why one node's placements cannot be committed, or
// nil when they can. The error is for state that could not be read.
func checkNodePlan(state State, nodeID string, stops, places []*api.Allocation) (reason, err error) {
	node, err := state.NodeByID(nodeID)
	if err != nil {
		return nil, fmt.Errorf("read node %s: %w", nodeID, err)
	}
	if node == nil {
		return fmt.Errorf("node %s does not exist", nodeID), nil
	}
	if node.Status == api.NodeStatusDown {
		return fmt.Errorf("node %s is down", nodeID), nil
	}
	existing, err := state.AllocsByNode(nodeID)
	if err != nil {
		return nil, fmt.Errorf("read allocations of node %s: %w", nodeID, err)
	}

	// New allocations need a node open to placements.
	running := map[string]bool{}
	for _, a := range existing {
		if !a.Terminal() {
			running[a.ID] = true
		}
	}
	placesNew := slices.ContainsFunc(places, func(a *api.Allocation) bool { return !running[a.ID] })
	if why := nodeAcceptsPlacements(node); placesNew && why != "" {
		return fmt.Errorf("node %s takes no placements: %s", nodeID, why), nil
	}

	// CPU and memory.
	after := newNodeUsage(existing, stops, places)
	capCPU, capMem := nodeCapacity(node)
	if after.cpu > capCPU || after.memoryMB > capMem {
		return fmt.Errorf("node %s overcommitted: cpu %d/%d MHz, memory %d/%d MB",
			nodeID, after.cpu, capCPU, after.memoryMB, capMem), nil
	}

	// Devices: only problems involving a placement of this plan count.
	if hasDevices(after.allocs) {
		before := newNodeUsage(existing, stops, nil)
		if err := devices.CheckPlan(node, before.allocs, places); err != nil {
			return fmt.Errorf("node %s devices: %w", nodeID, err), nil
		}
	}
	return nil, nil
}
