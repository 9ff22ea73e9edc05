package devices

import (
	"sort"
	"strconv"

	"github.com/constellation-sched/constellation/api"
)

// Defaults and attribute keys of the node device model.
const (
	// DefaultTimesliceReplicas is how many timeslice holders an instance
	// takes when it has no "timeslice_replicas" attribute.
	DefaultTimesliceReplicas = 4

	attrTimesliceReplicas = "timeslice_replicas"
	attrComputeCapability = "compute_capability"
	attrMIGProfile        = "mig_profile"
	attrMemoryMB          = "memory_mb"
	attrPCIBusID          = "pci_bus_id"

	typeGPU = "gpu"
	typeMIG = "mig"
)

// holding is one task's hold on one device instance, read from an
// allocation.
type holding struct {
	alloc *api.Allocation
	task  string
	dev   *api.AllocatedDevice
	// id is the device instance held.
	id string
	// sharing is the holder's sharing mode, never empty.
	sharing string
}

// slot is one device instance of a node together with what its current
// holders use of it.
type slot struct {
	group *api.DeviceGroup
	inst  *api.DeviceInstance
	// order is the instance's position in the node record, the last
	// tie-breaker of every choice.
	order int
	// pool groups the instances whose fill is measured together: whole
	// devices by type, MIG instances by their own type.
	pool string
	// replicas is how many timeslice holders the instance takes.
	replicas int

	// mode is the sharing mode of the holders, empty while there are none.
	mode    string
	holders int
	// mixed is set when holders of different modes were seen, which only
	// a broken state can hold; such an instance takes nobody new.
	mixed       bool
	mpsPercent  int
	mpsMemoryMB int
}

// inventory is the device view of one node: every instance with its
// holders, and the sums that the packing score needs.
type inventory struct {
	slots []*slot
	// groups holds the instances of each device group, in node order.
	groups []groupSlots
	byID   map[string]*slot
	// siblings lists the MIG instances of each parent GPU.
	siblings map[string][]*slot
	// poolSize and poolUsed count all instances, and instances with at
	// least one holder, per pool.
	poolSize map[string]int
	poolUsed map[string]int
}

// groupSlots is one device group with the slots of its instances.
type groupSlots struct {
	group *api.DeviceGroup
	slots []*slot
}

// newInventory builds the device view of node and counts the holdings of
// the non-terminal allocations in allocs. Holdings of instances the node
// does not have are ignored.
func newInventory(node *api.Node, allocs []*api.Allocation) *inventory {
	inv := &inventory{
		byID:     make(map[string]*slot),
		siblings: make(map[string][]*slot),
		poolSize: make(map[string]int),
		poolUsed: make(map[string]int),
	}
	if node != nil && node.Resources != nil {
		for _, g := range node.Resources.Devices {
			inv.addGroup(g)
		}
	}
	forEachHolding(allocs, func(h holding) {
		if s := inv.byID[h.id]; s != nil {
			inv.take(s, h.sharing, h.dev.MPSComputePercent, h.dev.MPSMemoryMB)
		}
	})
	return inv
}

// addGroup adds the instances of one device group.
func (inv *inventory) addGroup(g *api.DeviceGroup) {
	if g == nil {
		return
	}
	gs := groupSlots{group: g}
	defer func() { inv.groups = append(inv.groups, gs) }()
	for _, in := range g.Instances {
		if in == nil || in.ID == "" {
			continue
		}
		s := &slot{
			group:    g,
			inst:     in,
			order:    len(inv.slots),
			pool:     g.Type,
			replicas: timesliceReplicas(g, in),
		}
		if _, dup := inv.byID[in.ID]; dup {
			// A node record listing one ID twice is broken; the first
			// listing wins so that choices stay deterministic.
			continue
		}
		inv.slots = append(inv.slots, s)
		gs.slots = append(gs.slots, s)
		inv.byID[in.ID] = s
		inv.poolSize[s.pool]++
		if in.ParentID != "" {
			inv.siblings[in.ParentID] = append(inv.siblings[in.ParentID], s)
		}
	}
}

// take records one more holder on s.
func (inv *inventory) take(s *slot, sharing string, percent, memMB int) {
	if s.holders > 0 && s.mode != sharing {
		s.mixed = true
	}
	if s.holders == 0 {
		s.mode = sharing
		inv.poolUsed[s.pool]++
	}
	s.holders++
	if sharing == api.SharingMPS {
		s.mpsPercent += percent
		s.mpsMemoryMB += memMB
	}
}

// release undoes one take of a holder that did not mix modes.
func (inv *inventory) release(s *slot, sharing string, percent, memMB int) {
	s.holders--
	if sharing == api.SharingMPS {
		s.mpsPercent -= percent
		s.mpsMemoryMB -= memMB
	}
	if s.holders == 0 {
		s.mode = ""
		inv.poolUsed[s.pool]--
	}
}

// parentFill returns the memory of the MIG instances on s's parent GPU,
// and of those with at least one holder.
func (inv *inventory) parentFill(s *slot) (totalMB, usedMB int) {
	for _, sib := range inv.siblings[s.inst.ParentID] {
		totalMB += sib.inst.MemoryMB
		if sib.holders > 0 {
			usedMB += sib.inst.MemoryMB
		}
	}
	return totalMB, usedMB
}

// forEachHolding calls fn for every device instance that the non-terminal
// allocations in allocs hold: allocations in the given order, tasks by
// name, devices and IDs as listed. When an allocation ID appears more than
// once, only its last copy counts.
func forEachHolding(allocs []*api.Allocation, fn func(h holding)) {
	for _, a := range lastByID(allocs) {
		if a == nil || a.Terminal() {
			continue
		}
		for _, task := range sortedTasks(a) {
			for _, d := range a.Resources[task].Devices {
				if d == nil {
					continue
				}
				for _, id := range d.DeviceIDs {
					fn(holding{alloc: a, task: task, dev: d, id: id, sharing: sharingMode(d.Sharing)})
				}
			}
		}
	}
}

// sortedTasks returns the names of the tasks of a that hold resources.
func sortedTasks(a *api.Allocation) []string {
	tasks := make([]string, 0, len(a.Resources))
	for task, r := range a.Resources {
		if r != nil {
			tasks = append(tasks, task)
		}
	}
	sort.Strings(tasks)
	return tasks
}

// sharingMode returns the sharing mode a request or holding names, with
// the empty default spelled out.
func sharingMode(s string) string {
	if s == "" {
		return api.SharingExclusive
	}
	return s
}

// timesliceReplicas reads how many timeslice holders an instance takes:
// the instance attribute, then the group attribute, then the default. A
// value that is not a positive integer counts as absent.
func timesliceReplicas(g *api.DeviceGroup, in *api.DeviceInstance) int {
	for _, attrs := range []map[string]string{in.Attributes, g.Attributes} {
		if n, err := strconv.Atoi(attrs[attrTimesliceReplicas]); err == nil && n > 0 {
			return n
		}
	}
	return DefaultTimesliceReplicas
}
