package devices

import (
	"errors"
	"fmt"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// heldBy is one holding seen by the checker, with whether the allocation
// behind it is one whose problems are reported.
type heldBy struct {
	holding
	fresh bool
}

// checker gathers the holdings of one node's allocations and the problems
// found in them.
type checker struct {
	node *api.Node
	inv  *inventory
	// held lists the holdings of each device ID, in the order seen.
	held map[string][]heldBy
	errs []error
}

// check verifies the holdings of existing and fresh allocations together
// and reports the problems that involve a fresh one.
func check(node *api.Node, existing, fresh []*api.Allocation) error {
	c := &checker{node: node, inv: newInventory(node, nil), held: make(map[string][]heldBy)}

	// The last allocation of an ID counts: fresh ones replace existing
	// ones, and later copies replace earlier ones.
	isFresh := make(map[*api.Allocation]bool)
	allocs := append(append([]*api.Allocation(nil), existing...), fresh...)
	for _, a := range fresh {
		isFresh[a] = true
	}
	forEachHolding(allocs, func(h holding) {
		c.observe(heldBy{holding: h, fresh: isFresh[h.alloc]})
	})

	// Test each device's holders as a whole, in node order, then the
	// devices the node does not have.
	for i := range c.inv.slots {
		s := &c.inv.slots[i]
		if hs := c.held[s.inst.ID]; len(hs) > 0 {
			c.capacity(s, hs)
		}
	}
	return errors.Join(c.errs...)
}

// observe checks one holding on its own and files it under its device.
func (c *checker) observe(h heldBy) {
	who := holderName(h.holding)
	if h.alloc.NodeID != "" && c.node != nil && h.alloc.NodeID != c.node.ID {
		c.fail(h.fresh, ErrUnknownDevice, "%s: allocation is for node %q, not %q",
			who, h.alloc.NodeID, c.node.ID)
		return
	}
	switch h.sharing {
	case api.SharingExclusive, api.SharingTimeslice:
	case api.SharingMPS:
		if p := h.dev.MPSComputePercent; p < 1 || p > 100 || h.dev.MPSMemoryMB < 0 {
			c.fail(h.fresh, ErrInvalidHolding,
				"%s: mps share of %d%% and %d MB on device %q is out of range",
				who, p, h.dev.MPSMemoryMB, h.id)
			return
		}
	default:
		c.fail(h.fresh, ErrInvalidHolding, "%s: sharing mode %q on device %q is not known",
			who, h.sharing, h.id)
		return
	}
	s := c.inv.byID[h.id]
	switch {
	case s == nil:
		c.fail(h.fresh, ErrUnknownDevice, "%s: device %q is not on node %q", who, h.id, nodeID(c.node))
		return
	case !s.inst.Healthy:
		c.fail(h.fresh, ErrUnhealthyDevice, "%s: device %q is unhealthy (%s)", who, h.id,
			orDefault(s.inst.HealthDescription, "no reason given"))
	}
	c.held[h.id] = append(c.held[h.id], h)
}

// capacity checks that the holders of one device fit its sharing mode.
func (c *checker) capacity(s *slot, hs []heldBy) {
	fresh := false
	modes := map[string]bool{}
	percent, memMB := 0, 0
	for _, h := range hs {
		fresh = fresh || h.fresh
		modes[h.sharing] = true
		percent += h.dev.MPSComputePercent
		memMB += h.dev.MPSMemoryMB
	}
	id, list := s.inst.ID, holderList(hs)
	switch {
	case len(modes) > 1:
		c.fail(fresh, ErrDeviceConflict, "device %q mixes sharing modes: %s", id, list)
	case modes[api.SharingExclusive] && len(hs) > 1:
		c.fail(fresh, ErrDeviceConflict, "device %q is held exclusively by %d holders: %s",
			id, len(hs), list)
	case modes[api.SharingMPS] && (percent > 100 || memMB > s.inst.MemoryMB):
		c.fail(fresh, ErrDeviceConflict,
			"device %q is over its mps capacity: %d%% of compute and %d of %d MB held by %s",
			id, percent, memMB, s.inst.MemoryMB, list)
	case modes[api.SharingTimeslice] && len(hs) > s.timeslice():
		c.fail(fresh, ErrDeviceConflict, "device %q has %d timeslice holders but takes %d: %s",
			id, len(hs), s.timeslice(), list)
	}
}

// fail records a problem when it involves an allocation being checked.
func (c *checker) fail(fresh bool, kind error, format string, args ...any) {
	if fresh {
		c.errs = append(c.errs, &kindError{kind: kind, msg: fmt.Sprintf(format, args...)})
	}
}

// lastByID keeps, for each allocation ID, only the last allocation with
// it, at that allocation's position. Allocations without an ID all stay.
func lastByID(allocs []*api.Allocation) []*api.Allocation {
	if !hasDuplicateID(allocs) {
		return allocs
	}
	last := make(map[string]int, len(allocs))
	for i, a := range allocs {
		if a != nil && a.ID != "" {
			last[a.ID] = i
		}
	}
	out := make([]*api.Allocation, 0, len(allocs))
	for i, a := range allocs {
		if a == nil || a.ID == "" || last[a.ID] == i {
			out = append(out, a)
		}
	}
	return out
}

// hasDuplicateID reports whether two allocations share an ID. Short lists,
// the common case, are compared pairwise without allocating.
func hasDuplicateID(allocs []*api.Allocation) bool {
	if len(allocs) > 32 {
		return true // let lastByID's map decide
	}
	for i, a := range allocs {
		for _, b := range allocs[:i] {
			if a != nil && b != nil && a.ID != "" && a.ID == b.ID {
				return true
			}
		}
	}
	return false
}

// holderName names a holding in messages.
func holderName(h holding) string {
	return fmt.Sprintf("alloc %q task %q", h.alloc.ID, h.task)
}

// holderList names the holders of one device and their modes.
func holderList(hs []heldBy) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprintf("%s (%s)", holderName(h.holding), h.sharing)
	}
	return strings.Join(parts, ", ")
}

// nodeID returns the node's ID, or a placeholder for a missing node.
func nodeID(n *api.Node) string {
	if n == nil {
		return "<none>"
	}
	return n.ID
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
