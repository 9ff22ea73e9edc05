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
	// pool indexes inventory.pools: whole devices and MIG instances fill
	// separate pools.
	pool int
	// parent indexes inventory.parents for a MIG instance, else -1.
	parent int
	// replicas is how many timeslice holders the instance takes, 0 until
	// first read through timeslice.
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

// pool counts the instances of one device type on a node, and those with
// at least one holder.
type pool struct {
	typ        string
	size, used int
}

// parentGPU sums the memory of the MIG instances of one GPU, and of those
// with at least one holder.
type parentGPU struct {
	memMB, usedMB int
}

// inventory is the device view of one node: every instance with its
// holders, and the sums that the packing score needs. Slots live in one
// slice that is never grown after it is built, so pointers into it stay
// valid.
type inventory struct {
	// devices are the node's device groups as the node record lists them.
	devices []*api.DeviceGroup
	slots   []slot
	// groups holds the instances of each device group, in node order.
	groups  []groupSlots
	byID    map[string]*slot
	pools   []pool
	parents []parentGPU
}

// groupSlots is one device group with the slots of its instances, a
// window of inventory.slots.
type groupSlots struct {
	group *api.DeviceGroup
	slots []slot
}

// newInventory builds the device view of node and counts the holdings of
// the non-terminal allocations in allocs. Holdings of instances the node
// does not have are ignored.
func newInventory(node *api.Node, allocs []*api.Allocation) *inventory {
	groups := nodeDevices(node)
	n := 0
	for _, g := range groups {
		if g != nil {
			n += len(g.Instances)
		}
	}
	inv := &inventory{
		devices: groups,
		slots:   make([]slot, 0, n),
		groups:  make([]groupSlots, 0, len(groups)),
		byID:    make(map[string]*slot, n),
	}
	var parentIdx map[string]int
	for _, g := range groups {
		if g != nil {
			parentIdx = inv.addGroup(g, parentIdx)
		}
	}
	forEachHolding(allocs, func(h holding) {
		if s := inv.byID[h.id]; s != nil {
			inv.take(s, h.sharing, h.dev.MPSComputePercent, h.dev.MPSMemoryMB)
		}
	})
	return inv
}

// addGroup adds the instances of one device group; parentIdx maps the MIG
// parents seen so far to their index in inv.parents.
func (inv *inventory) addGroup(g *api.DeviceGroup, parentIdx map[string]int) map[string]int {
	start := len(inv.slots)
	p := inv.poolOf(g.Type)
	for _, in := range g.Instances {
		if in == nil || in.ID == "" {
			continue
		}
		if _, dup := inv.byID[in.ID]; dup {
			// A node record listing one ID twice is broken; the first
			// listing wins so that choices stay deterministic.
			continue
		}
		s := slot{group: g, inst: in, order: len(inv.slots), pool: p, parent: -1}
		if in.ParentID != "" {
			if parentIdx == nil {
				parentIdx = make(map[string]int)
			}
			i, ok := parentIdx[in.ParentID]
			if !ok {
				i = len(inv.parents)
				parentIdx[in.ParentID] = i
				inv.parents = append(inv.parents, parentGPU{})
			}
			s.parent = i
			inv.parents[i].memMB += in.MemoryMB
		}
		inv.slots = append(inv.slots, s)
		inv.byID[in.ID] = &inv.slots[len(inv.slots)-1]
		inv.pools[p].size++
	}
	end := len(inv.slots)
	inv.groups = append(inv.groups, groupSlots{group: g, slots: inv.slots[start:end:end]})
	return parentIdx
}

// poolOf returns the index of the pool of device type typ, adding it when
// it is new.
func (inv *inventory) poolOf(typ string) int {
	for i := range inv.pools {
		if inv.pools[i].typ == typ {
			return i
		}
	}
	inv.pools = append(inv.pools, pool{typ: typ})
	return len(inv.pools) - 1
}

// take records one more holder on s.
func (inv *inventory) take(s *slot, sharing string, percent, memMB int) {
	if s.holders > 0 && s.mode != sharing {
		s.mixed = true
	}
	if s.holders == 0 {
		s.mode = sharing
		inv.markUsed(s, 1)
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
		inv.markUsed(s, -1)
	}
}

// markUsed adds delta (1 or -1) to the counts of used instances that s is
// part of.
func (inv *inventory) markUsed(s *slot, delta int) {
	inv.pools[s.pool].used += delta
	if s.parent >= 0 {
		inv.parents[s.parent].usedMB += delta * s.inst.MemoryMB
	}
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
		eachTask(a, func(task string, r *api.AllocatedResources) {
			for _, d := range r.Devices {
				if d == nil {
					continue
				}
				for _, id := range d.DeviceIDs {
					fn(holding{alloc: a, task: task, dev: d, id: id, sharing: sharingMode(d.Sharing)})
				}
			}
		})
	}
}

// eachTask calls fn for the tasks of a that hold resources, by name.
func eachTask(a *api.Allocation, fn func(task string, r *api.AllocatedResources)) {
	if len(a.Resources) == 1 {
		for task, r := range a.Resources {
			if r != nil {
				fn(task, r)
			}
		}
		return
	}
	for _, task := range sortedTasks(a) {
		fn(task, a.Resources[task])
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

// timeslice returns how many timeslice holders s takes, reading it on
// first use.
func (s *slot) timeslice() int {
	if s.replicas == 0 {
		s.replicas = timesliceReplicas(s.group, s.inst)
	}
	return s.replicas
}

// timesliceReplicas reads how many timeslice holders an instance takes:
// the instance attribute, then the group attribute, then the default. A
// value that is not a positive integer counts as absent.
func timesliceReplicas(g *api.DeviceGroup, in *api.DeviceInstance) int {
	for _, attrs := range []map[string]string{in.Attributes, g.Attributes} {
		v, ok := attrs[attrTimesliceReplicas]
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return DefaultTimesliceReplicas
}

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
