package scheduler

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// Reschedule limits: how long a chain of replacements of failed allocations
// may grow before the scheduler stops replacing them.
const (
	// ServiceRescheduleLimit caps replacements of failed service
	// allocations.
	ServiceRescheduleLimit = 10
	// BatchRescheduleLimit caps replacements of failed batch allocations.
	BatchRescheduleLimit = 3
)

// Descriptions the scheduler gives allocations it stops.
const (
	DescJobStopped     = "alloc not needed since the job was stopped"
	DescGroupRemoved   = "alloc not needed since its task group was removed"
	DescCountDecreased = "alloc not needed since the group count decreased"
	DescNodeDown       = "alloc is lost since its node is down"
	DescNodeDraining   = "node is draining"
	DescUpdated        = "alloc is being updated due to job update"
	DescRescheduled    = "alloc was replaced because it failed"
	DescCompleted      = "alloc was replaced because a service must keep running"
	DescDeviceFailed   = "alloc is stopped since a device it uses is unhealthy or gone"
)

// allocStop is an allocation the plan stops, with why.
type allocStop struct {
	alloc        *api.Allocation
	desc         string
	clientStatus string
}

// placement is an allocation the plan must find a node for.
type placement struct {
	tg              *api.TaskGroup
	name            string
	index           int
	previous        *api.Allocation
	rescheduleCount int
	// avoidNode is penalised when ranking: the node a failed allocation
	// ran on.
	avoidNode string
	// stopOnPlace is the stop of the allocation this one replaces, made
	// only once the replacement found a node: a draining allocation keeps
	// running, and a failed one keeps its place in the reschedule chain,
	// until then.
	stopOnPlace *allocStop
}

// reconcileResult is the difference between what the job wants and what
// runs.
type reconcileResult struct {
	stops   []allocStop
	places  []placement
	inplace []*api.Allocation
	// notes are told in the evaluation's status description.
	notes []string
}

// replaceKind says why an allocation needs a replacement.
type replaceKind int

const (
	replaceLost replaceKind = iota
	replaceDrain
	replaceFailed
	replaceCompleted
	replaceDevice
)

// slot is an allocation that holds one of a group's Count places.
type slot struct {
	alloc *api.Allocation
	index int
	kind  replaceKind
}

// reconciler compares one job's allocations with what the job wants.
type reconciler struct {
	job   *api.Job
	nodes map[string]*api.Node
	out   reconcileResult
}

// reconcile works out the stops, placements and in-place updates that bring
// allocs (every allocation of the job, terminal ones too) in line with job,
// which may be nil when the job is gone. nodes holds every node by ID.
func reconcile(job *api.Job, allocs []*api.Allocation, nodes map[string]*api.Node) reconcileResult {
	r := &reconciler{job: job, nodes: nodes}
	byGroup := map[string][]*api.Allocation{}
	for _, a := range allocs {
		if a.DesiredStatus == api.AllocDesiredStop || a.DesiredStatus == api.AllocDesiredEvict {
			continue
		}
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
	}

	// A stopped or missing job keeps nothing running.
	if job == nil || job.Stop {
		for _, group := range sortedKeys(byGroup) {
			r.stopAll(byGroup[group], DescJobStopped)
		}
		return r.out
	}

	// Groups no longer in the job are stopped; the others reconciled.
	for _, group := range sortedKeys(byGroup) {
		if findGroup(job, group) == nil {
			r.stopAll(byGroup[group], DescGroupRemoved)
		}
	}
	for _, tg := range job.TaskGroups {
		r.group(tg, byGroup[tg.Name])
	}
	return r.out
}

// stopAll stops every allocation that is still running, marking those on
// down nodes lost.
func (r *reconciler) stopAll(allocs []*api.Allocation, desc string) {
	for _, a := range sortedByIndex(allocs) {
		if a.ClientTerminal() {
			continue
		}
		if r.nodeDown(a.NodeID) {
			r.out.stops = append(r.out.stops, allocStop{a, DescNodeDown, api.AllocClientLost})
			continue
		}
		r.out.stops = append(r.out.stops, allocStop{alloc: a, desc: desc})
	}
}

// group reconciles one task group. allocs are its allocations that the
// servers still want running.
func (r *reconciler) group(tg *api.TaskGroup, allocs []*api.Allocation) {
	keep, replace, held := r.classify(tg, sortedByIndex(allocs))

	// Too many: drop replacements first, then the highest-indexed.
	excess := len(keep) + len(replace) + len(held) - tg.Count
	for ; excess > 0 && len(replace) > 0; excess-- {
		s := replace[len(replace)-1]
		replace = replace[:len(replace)-1]
		r.stopSlot(s, false)
	}
	for ; excess > 0 && len(keep) > 0; excess-- {
		s := keep[len(keep)-1]
		keep = keep[:len(keep)-1]
		r.out.stops = append(r.out.stops, allocStop{alloc: s.alloc, desc: DescCountDecreased})
	}

	// Replace what was lost, drained, failed or (for services) finished.
	for _, s := range replace {
		r.stopSlot(s, true)
	}

	// Bring the survivors up to the job's version.
	for _, s := range keep {
		r.update(tg, s)
	}

	// Fill the missing places with the lowest free indexes.
	used := map[int]bool{}
	for _, group := range [][]slot{keep, replace, held} {
		for _, s := range group {
			used[s.index] = true
		}
	}
	missing := tg.Count - len(keep) - len(replace) - len(held)
	for i := 0; missing > 0; i++ {
		if used[i] {
			continue
		}
		r.out.places = append(r.out.places, placement{tg: tg, name: allocName(r.job.ID, tg.Name, i), index: i})
		missing--
	}
}

// classify sorts a group's allocations into those kept as they are, those
// needing a replacement and those holding their place without running
// (finished batch allocations, failed ones past the reschedule limit).
func (r *reconciler) classify(tg *api.TaskGroup, allocs []*api.Allocation) (keep, replace, held []slot) {
	limit := ServiceRescheduleLimit
	if r.job.Type == api.JobTypeBatch {
		limit = BatchRescheduleLimit
	}
	capped := 0
	for _, a := range allocs {
		s := slot{alloc: a, index: allocIndex(a.Name)}
		switch node := r.nodes[a.NodeID]; {
		case a.ClientStatus == api.AllocClientComplete && r.job.Type == api.JobTypeBatch:
			held = append(held, s)
		case a.ClientStatus == api.AllocClientComplete:
			s.kind = replaceCompleted
			replace = append(replace, s)
		case a.ClientStatus == api.AllocClientFailed && a.RescheduleCount >= limit:
			capped++
			held = append(held, s)
		case a.ClientStatus == api.AllocClientFailed:
			s.kind = replaceFailed
			replace = append(replace, s)
		case a.ClientStatus == api.AllocClientLost, node == nil, node.Status == api.NodeStatusDown:
			s.kind = replaceLost
			replace = append(replace, s)
		case !devicesHealthy(node, a):
			s.kind = replaceDevice
			replace = append(replace, s)
		case node.Drain:
			s.kind = replaceDrain
			replace = append(replace, s)
		default:
			keep = append(keep, s)
		}
	}
	if capped > 0 {
		r.out.notes = append(r.out.notes, fmt.Sprintf(
			"task group %s: %d failed allocation(s) not replaced: reschedule limit of %d reached",
			tg.Name, capped, limit))
	}
	return keep, replace, held
}

// stopSlot stops an allocation that needs replacing and, when replaced is
// set, asks for its replacement under the same name. Only lost allocations
// are stopped at once; the others are stopped when their replacement is
// placed.
func (r *reconciler) stopSlot(s slot, replaced bool) {
	a := s.alloc
	p := placement{name: a.Name, index: s.index, previous: a, rescheduleCount: a.RescheduleCount}
	var stop allocStop
	switch s.kind {
	case replaceLost:
		stop = allocStop{a, DescNodeDown, api.AllocClientLost}
		p.rescheduleCount++
	case replaceDrain:
		stop = allocStop{alloc: a, desc: DescNodeDraining}
	case replaceFailed:
		stop = allocStop{alloc: a, desc: pick(replaced, DescRescheduled)}
		p.rescheduleCount++
		p.avoidNode = a.NodeID
	case replaceCompleted:
		stop = allocStop{alloc: a, desc: pick(replaced, DescCompleted)}
	case replaceDevice:
		stop = allocStop{alloc: a, desc: DescDeviceFailed}
		p.rescheduleCount++
	}
	// A lost allocation is gone and one on a broken device cannot work:
	// both stop at once, whether or not their replacement finds a node.
	if !replaced || s.kind == replaceLost || s.kind == replaceDevice {
		r.out.stops = append(r.out.stops, stop)
	}
	if !replaced {
		return
	}
	if s.kind != replaceLost && s.kind != replaceDevice {
		p.stopOnPlace = &stop
	}
	p.tg = findGroup(r.job, a.TaskGroup)
	r.out.places = append(r.out.places, p)
}

// update moves a kept allocation to the job's current version: in place
// when only counts or metadata changed, else by stopping it and placing a
// new one under the same name.
func (r *reconciler) update(tg *api.TaskGroup, s slot) {
	a := s.alloc
	if a.Job != nil && a.Job.JobModifyIndex == r.job.JobModifyIndex && a.Job.Version == r.job.Version {
		return
	}
	if a.Job != nil && specChanged(a.Job, r.job, tg.Name) {
		r.out.stops = append(r.out.stops, allocStop{alloc: a, desc: DescUpdated})
		r.out.places = append(r.out.places, placement{tg: tg, name: a.Name, index: s.index})
		return
	}
	updated := *a
	updated.Job = r.job
	r.out.inplace = append(r.out.inplace, &updated)
}

// pick returns desc for an allocation that is replaced, and the
// count-decrease description for one that is not.
func pick(replaced bool, desc string) string {
	if replaced {
		return desc
	}
	return DescCountDecreased
}

// nodeDown reports whether the node is gone or down.
func (r *reconciler) nodeDown(nodeID string) bool {
	node := r.nodes[nodeID]
	return node == nil || node.Status == api.NodeStatusDown
}

// specChanged reports whether running group name of newJob instead of
// oldJob needs new allocations: anything but counts and metadata changed.
func specChanged(oldJob, newJob *api.Job, name string) bool {
	oldTG, newTG := findGroup(oldJob, name), findGroup(newJob, name)
	if oldTG == nil || newTG == nil {
		return true
	}
	if oldJob.Type != newJob.Type ||
		!slices.Equal(oldJob.Datacenters, newJob.Datacenters) ||
		!reflect.DeepEqual(normConstraints(oldJob.Constraints), normConstraints(newJob.Constraints)) {
		return true
	}
	return !reflect.DeepEqual(groupSpec(oldTG), groupSpec(newTG))
}

// groupSpec returns a copy of tg without what an in-place update may
// change (count and metadata), with empty collections made nil.
func groupSpec(tg *api.TaskGroup) api.TaskGroup {
	spec := *tg
	spec.Count, spec.Meta = 0, nil
	spec.Constraints = normConstraints(tg.Constraints)
	spec.Tasks = make([]*api.Task, len(tg.Tasks))
	for i, t := range tg.Tasks {
		tc := *t
		tc.Meta = nil
		tc.Constraints = normConstraints(t.Constraints)
		if len(tc.Config) == 0 {
			tc.Config = nil
		}
		if len(tc.Env) == 0 {
			tc.Env = nil
		}
		if t.Resources != nil {
			rc := *t.Resources
			if len(rc.Devices) == 0 {
				rc.Devices = nil
			}
			tc.Resources = &rc
		}
		spec.Tasks[i] = &tc
	}
	return spec
}

// normConstraints returns nil for an empty list.
func normConstraints(cons []*api.Constraint) []*api.Constraint {
	if len(cons) == 0 {
		return nil
	}
	return cons
}

// allocName names the index-th allocation of a group: "job.group[index]".
func allocName(jobID, group string, index int) string {
	return jobID + "." + group + "[" + strconv.Itoa(index) + "]"
}

// allocIndex returns the index in an allocation name, or math.MaxInt when
// the name has none (such an allocation is the first to go on scale-down).
func allocIndex(name string) int {
	open := strings.LastIndexByte(name, '[')
	if open < 0 || !strings.HasSuffix(name, "]") {
		return math.MaxInt
	}
	i, err := strconv.Atoi(name[open+1 : len(name)-1])
	if err != nil || i < 0 {
		return math.MaxInt
	}
	return i
}

// sortedByIndex returns allocs ordered by name index, then ID.
func sortedByIndex(allocs []*api.Allocation) []*api.Allocation {
	out := slices.Clone(allocs)
	slices.SortFunc(out, func(a, b *api.Allocation) int {
		return cmp.Or(cmp.Compare(allocIndex(a.Name), allocIndex(b.Name)), strings.Compare(a.ID, b.ID))
	})
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// devicesHealthy reports whether every device instance the allocation
// holds still exists on its node and is healthy.
func devicesHealthy(node *api.Node, alloc *api.Allocation) bool {
	var held []string
	for _, r := range alloc.Resources {
		if r == nil {
			continue
		}
		for _, d := range r.Devices {
			held = append(held, d.DeviceIDs...)
		}
	}
	if len(held) == 0 {
		return true
	}
	healthy := map[string]bool{}
	if node.Resources != nil {
		for _, g := range node.Resources.Devices {
			for _, inst := range g.Instances {
				healthy[inst.ID] = inst.Healthy
			}
		}
	}
	for _, id := range held {
		if !healthy[id] {
			return false
		}
	}
	return true
}
