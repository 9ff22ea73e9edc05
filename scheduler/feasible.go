package scheduler

import (
	"fmt"
	"maps"
	"slices"

	"github.com/constellation-sched/constellation/api"
)

// Reasons a node is filtered out, as counted in
// AllocMetric.ConstraintFiltered. Constraints are counted under their own
// text, such as "${attr.kernel.name} = linux".
const (
	filterNotReady   = "node not ready"
	filterIneligible = "node ineligible"
	filterDraining   = "node draining"
	filterDatacenter = "datacenter not in job"
	filterDriverFmt  = "missing driver %s"
)

// Dimensions a node runs out of, as counted in
// AllocMetric.DimensionExhausted.
const (
	dimensionCPU     = "cpu"
	dimensionMemory  = "memory"
	dimensionDevices = "devices"
)

// groupFeasibility is what placing one task group needs to know beyond the
// plan: the nodes that can run it whatever the plan holds (in the order they
// are examined), why the others cannot, and what the group asks for.
type groupFeasibility struct {
	tg    *api.TaskGroup
	nodes []*api.Node
	// cursor is where the next placement starts examining nodes, so that
	// successive placements look at successive windows of nodes.
	cursor int
	// static counts the nodes filtered before any placement.
	static api.AllocMetric
	// failed is set once a placement of the group found no node; later
	// placements of the group fail at once and are coalesced into it.
	failed *api.AllocMetric

	distinctJob   bool
	distinctGroup bool
	cpu, memoryMB int
	devices       bool
}

// newGroupFeasibility filters nodes (already in examination order) down to
// those that can run tg of job.
func newGroupFeasibility(job *api.Job, tg *api.TaskGroup, nodes []*api.Node,
	checker *constraintChecker) *groupFeasibility {
	f := &groupFeasibility{tg: tg}
	f.cpu, f.memoryMB = groupResources(tg)
	f.static.NodesEvaluated = len(nodes)
	f.static.ConstraintFiltered = map[string]int{}
	f.static.DimensionExhausted = map[string]int{}

	// Gather every constraint that applies, spotting distinct_hosts.
	var cons []*api.Constraint
	for _, con := range job.Constraints {
		f.distinctJob = f.distinctJob || distinctHosts(con)
		cons = append(cons, con)
	}
	groupCons := slices.Clone(tg.Constraints)
	for _, t := range tg.Tasks {
		groupCons = append(groupCons, t.Constraints...)
		f.devices = f.devices || (t.Resources != nil && len(t.Resources.Devices) > 0)
	}
	for _, con := range groupCons {
		f.distinctGroup = f.distinctGroup || distinctHosts(con)
	}
	cons = append(cons, groupCons...)

	// Keep the nodes that pass every static check.
	f.nodes = make([]*api.Node, 0, len(nodes))
	for _, node := range nodes {
		if reason := staticReason(node, job, tg, cons, checker); reason != "" {
			f.static.NodesFiltered++
			f.static.ConstraintFiltered[reason]++
			continue
		}
		f.nodes = append(f.nodes, node)
	}
	return f
}

// failureMetric returns a fresh metric starting from the static counts.
func (f *groupFeasibility) failureMetric() *api.AllocMetric {
	m := f.static
	m.ConstraintFiltered = maps.Clone(f.static.ConstraintFiltered)
	m.DimensionExhausted = maps.Clone(f.static.DimensionExhausted)
	return &m
}

// staticReason returns why node can never run tg, or "" when it may.
func staticReason(node *api.Node, job *api.Job, tg *api.TaskGroup,
	cons []*api.Constraint, checker *constraintChecker) string {
	if reason := nodeAcceptsPlacements(node); reason != "" {
		return reason
	}
	if len(job.Datacenters) > 0 && !slices.Contains(job.Datacenters, node.Datacenter) {
		return filterDatacenter
	}
	for _, t := range tg.Tasks {
		if !hasDriver(node, t.Driver) {
			return fmt.Sprintf(filterDriverFmt, t.Driver)
		}
	}
	for _, con := range cons {
		if !checker.check(node, con) {
			return constraintKey(con)
		}
	}
	return ""
}

// hasDriver reports whether node can run tasks of the named driver: it lists
// the driver, or fingerprinted the attribute "driver.<name>".
func hasDriver(node *api.Node, driver string) bool {
	if driver == "" || slices.Contains(node.Drivers, driver) {
		return true
	}
	v, ok := node.Attributes["driver."+driver]
	return ok && v != "" && v != "0" && v != "false"
}
