package scheduler

import (
	"github.com/constellation-sched/constellation/api"
)

// nodeUsage is what one node holds: its non-terminal allocations (after the
// stops and placements of the plan being built or checked) and the CPU and
// memory they reserve.
type nodeUsage struct {
	allocs   []*api.Allocation
	cpu      int
	memoryMB int
}

// newNodeUsage starts from a node's allocations, keeps the non-terminal
// ones, removes those in stops and adds or replaces (by ID) those in places.
func newNodeUsage(existing, stops, places []*api.Allocation) *nodeUsage {
	u := &nodeUsage{allocs: make([]*api.Allocation, 0, len(existing)+len(places))}
	for _, a := range existing {
		if !a.Terminal() {
			u.put(a)
		}
	}
	for _, a := range stops {
		u.remove(a.ID)
	}
	for _, a := range places {
		u.put(a)
	}
	return u
}

// put adds an allocation, replacing one with the same ID.
func (u *nodeUsage) put(alloc *api.Allocation) {
	u.remove(alloc.ID)
	if alloc.Terminal() {
		return
	}
	cpu, mem := allocResources(alloc)
	u.allocs = append(u.allocs, alloc)
	u.cpu += cpu
	u.memoryMB += mem
}

// remove drops the allocation with the given ID, if held.
func (u *nodeUsage) remove(id string) {
	for i, a := range u.allocs {
		if a.ID != id {
			continue
		}
		cpu, mem := allocResources(a)
		u.cpu -= cpu
		u.memoryMB -= mem
		u.allocs = append(u.allocs[:i], u.allocs[i+1:]...)
		return
	}
}

// countJob returns how many held allocations belong to the job, and how
// many of those to its task group.
func (u *nodeUsage) countJob(jobID, group string) (job, tg int) {
	for _, a := range u.allocs {
		if a.JobID != jobID {
			continue
		}
		job++
		if a.TaskGroup == group {
			tg++
		}
	}
	return job, tg
}

// allocResources returns the CPU and memory an allocation reserves. An
// allocation without per-task resources is charged what its job's task
// group asks for.
func allocResources(alloc *api.Allocation) (cpu, memoryMB int) {
	for _, r := range alloc.Resources {
		if r != nil {
			cpu += r.CPU
			memoryMB += r.MemoryMB
		}
	}
	if len(alloc.Resources) > 0 || alloc.Job == nil {
		return cpu, memoryMB
	}
	if tg := findGroup(alloc.Job, alloc.TaskGroup); tg != nil {
		return groupResources(tg)
	}
	return 0, 0
}

// groupResources sums the CPU and memory the tasks of a group ask for.
func groupResources(tg *api.TaskGroup) (cpu, memoryMB int) {
	for _, t := range tg.Tasks {
		if t.Resources != nil {
			cpu += t.Resources.CPU
			memoryMB += t.Resources.MemoryMB
		}
	}
	return cpu, memoryMB
}

// nodeCapacity returns the CPU and memory a node offers for placement: its
// resources less what it reserves.
func nodeCapacity(node *api.Node) (cpu, memoryMB int) {
	if node.Resources != nil {
		cpu, memoryMB = node.Resources.CPU, node.Resources.MemoryMB
	}
	if node.Reserved != nil {
		cpu -= node.Reserved.CPU
		memoryMB -= node.Reserved.MemoryMB
	}
	return cpu, memoryMB
}

// exhaustedDimension returns the first of "cpu" and "memory" that usage
// plus the extra CPU and memory would overfill on node, or "".
func exhaustedDimension(node *api.Node, u *nodeUsage, cpu, memoryMB int) string {
	capCPU, capMem := nodeCapacity(node)
	switch {
	case u.cpu+cpu > capCPU:
		return dimensionCPU
	case u.memoryMB+memoryMB > capMem:
		return dimensionMemory
	}
	return ""
}

// nodeAcceptsPlacements reports why a node takes no new placements, or ""
// when it does. An empty Eligibility counts as eligible.
func nodeAcceptsPlacements(node *api.Node) string {
	switch {
	case node.Status != api.NodeStatusReady:
		return filterNotReady
	case node.Eligibility != "" && node.Eligibility != api.NodeEligible:
		return filterIneligible
	case node.Drain:
		return filterDraining
	}
	return ""
}

// findGroup returns the job's task group with the given name, or nil.
func findGroup(job *api.Job, name string) *api.TaskGroup {
	for _, tg := range job.TaskGroups {
		if tg.Name == name {
			return tg
		}
	}
	return nil
}

// hasDevices reports whether any allocation holds devices.
func hasDevices(allocs []*api.Allocation) bool {
	for _, a := range allocs {
		for _, r := range a.Resources {
			if r != nil && len(r.Devices) > 0 {
				return true
			}
		}
	}
	return false
}
