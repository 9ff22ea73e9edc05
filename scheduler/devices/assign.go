package devices

import (
	"errors"
	"fmt"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// smallRequestMB is the memory a whole-GPU request without MinMemoryMB is
// taken to need when GPUs are ranked by size: such a request prefers the
// smallest GPU, which leaves the large ones to requests that need them.
const smallRequestMB = 16384

// choice is the set of instances one device group offers a request.
type choice struct {
	group *api.DeviceGroup
	slots []*slot
	// fit and aff are the mean packing fit and affinity of the instances.
	fit, aff float64
}

// assign picks instances for one request, records them as held and
// returns them with the request's score.
func (inv *inventory) assign(q *request) (*api.AllocatedDevice, float64, error) {
	var (
		tally      [numReasons]int
		matched    int
		maxInGroup int
		best       *choice
	)
	for _, gs := range inv.groups {
		if !q.matchesGroup(gs.group) {
			continue
		}

		// Sort the group's instances into those that can take the request
		// and tallies of why the others cannot.
		var cands []*slot
		for i := range gs.slots {
			s := &gs.slots[i]
			if !q.matchesProfile(s) {
				continue
			}
			matched++
			r := q.static(s)
			if r == fits {
				r = q.room(s)
			}
			tally[r]++
			if r == fits {
				cands = append(cands, s)
			}
		}
		maxInGroup = max(maxInGroup, len(cands))
		if len(cands) < q.r.Count {
			continue
		}

		// Keep the group whose best instances score highest; the first
		// group wins ties.
		c := inv.choose(q, gs.group, cands)
		if best == nil || c.aff > best.aff || (c.aff == best.aff && c.fit > best.fit) {
			best = c
		}
	}
	if best == nil {
		return nil, 0, inv.noFit(q, matched, maxInGroup, tally)
	}
	ids := make([]string, len(best.slots))
	for i, s := range best.slots {
		inv.take(s, q.sharing, q.r.MPSComputePercent, q.r.MPSMemoryMB)
		ids[i] = s.inst.ID
	}
	return q.allocated(best.group, ids), q.score(best), nil
}

// choose picks Count instances of one group greedily, the best-ranked
// first, and leaves the inventory as it found it.
//
// TODO: a multi-GPU request gets GPUs of one model but with no regard to
// how they are connected; NVLink and PCIe/NUMA locality are not in the node
// record yet, and choosing by them needs them there.
func (inv *inventory) choose(q *request, g *api.DeviceGroup, cands []*slot) *choice {
	c := &choice{group: g}
	taken := make([]bool, len(cands))
	for range q.r.Count {
		bi, bestFit, bestAff := -1, 0.0, 0.0
		for i, s := range cands {
			if taken[i] {
				continue
			}
			fit, aff := inv.fit(q, s), q.affinity(s)
			if bi < 0 || better(aff, fit, s, bestAff, bestFit, cands[bi]) {
				bi, bestFit, bestAff = i, fit, aff
			}
		}
		taken[bi] = true
		c.slots = append(c.slots, cands[bi])
		c.fit += bestFit
		c.aff += bestAff
		inv.take(cands[bi], q.sharing, q.r.MPSComputePercent, q.r.MPSMemoryMB)
	}
	for _, s := range c.slots {
		inv.release(s, q.sharing, q.r.MPSComputePercent, q.r.MPSMemoryMB)
	}
	c.fit /= float64(q.r.Count)
	c.aff /= float64(q.r.Count)
	return c
}

// better ranks instance a above instance b: higher affinity, then tighter
// fit, then less memory, then earlier in the node record.
func better(affA, fitA float64, a *slot, affB, fitB float64, b *slot) bool {
	switch {
	case affA != affB:
		return affA > affB
	case fitA != fitB:
		return fitA > fitB
	case a.inst.MemoryMB != b.inst.MemoryMB:
		return a.inst.MemoryMB < b.inst.MemoryMB
	}
	return a.order < b.order
}

// fit returns how tightly one more holder of q fills s, in [0, 1]. Shared
// instances that already have holders, and MIG instances whose GPU already
// has busy siblings, score at least 0.5; free ones below 0.5, the more the
// fuller their node's pool would be. A whole GPU taken exclusively scores
// mostly by how much of its memory the request needs (so that small
// requests keep off large GPUs even on a fuller node) and then by how full
// the node's GPUs would be (so that free nodes stay free for multi-GPU
// requests).
func (inv *inventory) fit(q *request, s *slot) float64 {
	memMB := s.inst.MemoryMB
	p := inv.pools[s.pool]
	if s.holders == 0 {
		p.used++
	}
	poolAfter := ratio(p.used, p.size)
	switch {
	case q.sharing != api.SharingExclusive:
		var after float64
		if q.sharing == api.SharingMPS {
			after = max(ratio(s.mpsPercent+q.r.MPSComputePercent, 100),
				ratio(s.mpsMemoryMB+q.r.MPSMemoryMB, memMB))
		} else {
			after = ratio(s.holders+1, s.timeslice())
		}
		if s.holders > 0 {
			return 0.5 + 0.5*after
		}
		return 0.25*after + 0.25*poolAfter
	case s.parent >= 0:
		pg := inv.parents[s.parent]
		after := ratio(pg.usedMB+memMB, pg.memMB)
		if pg.usedMB > 0 {
			return 0.5 + 0.5*after
		}
		return 0.25*after + 0.25*poolAfter
	}
	need := max(q.r.MinMemoryMB, smallRequestMB)
	return 0.75*ratio(need, memMB) + 0.25*poolAfter
}

// score folds a choice's fit and affinity into one figure in [0, 1].
func (q *request) score(c *choice) float64 {
	if q.affinityTotal == 0 {
		return c.fit
	}
	return 0.5*c.fit + 0.25*(c.aff+1)
}

// allocated returns the assignment of ids to the request.
func (q *request) allocated(g *api.DeviceGroup, ids []string) *api.AllocatedDevice {
	d := &api.AllocatedDevice{
		Vendor: g.Vendor, Type: g.Type, Model: g.Model,
		DeviceIDs: ids, Sharing: q.sharing,
	}
	if q.sharing == api.SharingMPS {
		d.MPSComputePercent = q.r.MPSComputePercent
		d.MPSMemoryMB = q.r.MPSMemoryMB
	}
	return d
}

// noFit returns the error for a request no group could serve. Its message
// is only built when read: a scheduler asks every node, and most refusals
// are never shown.
func (inv *inventory) noFit(q *request, matched, maxInGroup int, tally [numReasons]int) error {
	return &fitError{q: q, devices: inv.devices, matched: matched,
		maxInGroup: maxInGroup, tally: tally}
}

// fitError says why a node cannot serve a request. It wraps ErrNoFit.
type fitError struct {
	q *request
	// devices are the node's device groups.
	devices    []*api.DeviceGroup
	matched    int
	maxInGroup int
	tally      [numReasons]int
}

// Error explains the refusal: what was asked for and why each matching
// instance was turned away.
func (e *fitError) Error() string {
	q := e.q
	if e.matched == 0 {
		return fmt.Sprintf("no device matches %s: the node has %s", q.describe(), summary(e.devices))
	}
	var parts []string
	for r := fits + 1; r < numReasons; r++ {
		if e.tally[r] > 0 {
			parts = append(parts, q.reasonText(r, e.tally[r]))
		}
	}
	if n := e.tally[fits]; n > 0 && n > e.maxInGroup {
		parts = append(parts, fmt.Sprintf("%d free but at most %d of one model", n, e.maxInGroup))
	} else if n > 0 {
		parts = append(parts, fmt.Sprintf("%d free", n))
	}
	return fmt.Sprintf("not enough %s for %s (need %d): of %d matching instances, %s",
		q.describe(), q.holderText(), q.r.Count, e.matched, strings.Join(parts, ", "))
}

// Unmatched reports whether err, from Assign, says that no device on the
// node matches the request at all (rather than that every matching one is
// in use), with a short description of the request for placement metrics.
func Unmatched(err error) (string, bool) {
	var fe *fitError
	if errors.As(err, &fe) && fe.matched == 0 {
		return "no device matches " + fe.q.describe(), true
	}
	return "", false
}

// Unwrap returns ErrNoFit.
func (e *fitError) Unwrap() error { return ErrNoFit }

// summary lists a node's device groups for error messages.
func summary(groups []*api.DeviceGroup) string {
	const most = 4
	var parts []string
	for _, g := range groups {
		if g == nil {
			continue
		}
		if len(parts) == most {
			parts = append(parts, "more groups")
			break
		}
		parts = append(parts, fmt.Sprintf("%s/%s %q x%d", g.Vendor, g.Type, g.Model, len(g.Instances)))
	}
	if len(parts) == 0 {
		return "no devices"
	}
	return strings.Join(parts, ", ")
}

// ratio returns a/b clamped to [0, 1], and 0 when b is not positive.
func ratio(a, b int) float64 {
	if b <= 0 {
		return 0
	}
	return min(1, max(0, float64(a)/float64(b)))
}
