package devices

import (
	"sort"

	"github.com/constellation-sched/constellation/api"
)

// Usage returns, for every device instance that the non-terminal
// allocations in allocs hold, who holds it and how: device instance ID to
// users, sorted by allocation ID and task. Allocations placed on another
// node than node are skipped; held IDs the node does not list are kept, so
// that a caller can show them.
func Usage(node *api.Node, allocs []*api.Allocation) map[string][]*api.GPUUse {
	out := make(map[string][]*api.GPUUse)
	forEachHolding(allocs, func(h holding) {
		if node != nil && h.alloc.NodeID != "" && h.alloc.NodeID != node.ID {
			return
		}
		u := &api.GPUUse{
			AllocID: h.alloc.ID,
			JobID:   h.alloc.JobID,
			Task:    h.task,
			Sharing: h.sharing,
		}
		if h.sharing == api.SharingMPS {
			u.MPSComputePercent = h.dev.MPSComputePercent
			u.MPSMemoryMB = h.dev.MPSMemoryMB
		}
		out[h.id] = append(out[h.id], u)
	})
	for _, us := range out {
		sort.SliceStable(us, func(i, j int) bool {
			if us[i].AllocID != us[j].AllocID {
				return us[i].AllocID < us[j].AllocID
			}
			return us[i].Task < us[j].Task
		})
	}
	return out
}
