package scheduler

import (
	"fmt"
	"math"
	"slices"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/scheduler/devices"
)

// Scoring weights. A node's score is its bin-packing score in [0, 1], plus
// the device packing score in [0, 1] when devices are asked for, less
// collisionPenalty for each allocation of the same job already on it, less
// rescheduleNodePenalty on the node a failed allocation ran on. One
// collision outweighs the whole bin-packing range, so equal nodes take one
// allocation of a job each before any takes a second, while between nodes
// with equal collisions the fuller one wins.
const (
	collisionPenalty      = 1.0
	rescheduleNodePenalty = 1.0
)

// defaultCandidateLimit is how many fitting nodes a placement scores
// before it settles, Nomad's limit iterator with a fixed cap.
//
// Nodes are examined from a per-group cursor over a node order shuffled
// with a seed drawn from the evaluation ID, so successive placements look
// at successive windows of the cluster and concurrent evaluations look at
// different nodes first. A placement stops once it has scored
// defaultCandidateLimit fitting nodes that hold no allocation of the job;
// nodes that do are scored too but count only after as many have been
// skipped, so that a placement keeps looking for a free node for a while
// before it doubles up (this keeps equal nodes spread). Clusters of up to
// 16 nodes are thus scored in full; on 1,000 nodes a placement scores 16 to
// 32 nodes instead of 1,000. A placement still examines every node before
// it gives up, so a failure is never caused by the limit.
const defaultCandidateLimit = 16

// rankedNode is the node chosen for a placement with what it assigns.
type rankedNode struct {
	node    *api.Node
	score   float64
	devices map[string][]*api.AllocatedDevice
}

// candidateLimit returns how many fitting nodes a placement scores out of
// n feasible ones; override > 0 fixes it and override < 0 scores all.
func candidateLimit(n, override int) int {
	switch {
	case override > 0:
		return min(override, n)
	case override < 0:
		return n
	}
	return min(defaultCandidateLimit, n)
}

// selectNode picks the best node for one placement of f's group, or returns
// nil and the metric that explains why no node fits. avoidNode is penalised
// (the node a failed allocation ran on).
func (c *planContext) selectNode(job *api.Job, f *groupFeasibility, avoidNode string,
	limit int) (*rankedNode, *api.AllocMetric, error) {
	n := len(f.nodes)
	var best *rankedNode
	var distinct, exhausted int
	dims := map[string]int{}
	unmatched := map[string]int{}
	examined, scored, skipped := 0, 0, 0
	for examined < n && scored < limit {
		node := f.nodes[(f.cursor+examined)%n]
		examined++

		// Check what depends on the plan: distinct hosts, resources, devices.
		u, err := c.usageOf(node.ID)
		if err != nil {
			return nil, nil, err
		}
		jobCount, groupCount := u.countJob(job.ID, f.tg.Name)
		if (f.distinctJob && jobCount > 0) || (f.distinctGroup && groupCount > 0) {
			distinct++
			continue
		}
		if dim := exhaustedDimension(node, u, f.cpu, f.memoryMB); dim != "" {
			exhausted++
			dims[dim]++
			continue
		}
		var devs map[string][]*api.AllocatedDevice
		var devScore float64
		if f.devices {
			if devs, devScore, err = assignDevices(node, u.allocs, f.tg); err != nil {
				// A node without any matching device is filtered, one
				// whose matching devices are taken is exhausted.
				if reason, ok := devices.Unmatched(err); ok {
					unmatched[reason]++
					continue
				}
				exhausted++
				dims[dimensionDevices]++
				continue
			}
		}

		// Score the node and keep the best, lowest node ID on ties.
		if jobCount == 0 || skipped >= limit {
			scored++
		} else {
			skipped++
		}
		score := binPackScore(node, u, f.cpu, f.memoryMB) + devScore -
			collisionPenalty*float64(jobCount)
		if node.ID == avoidNode {
			score -= rescheduleNodePenalty
		}
		if best == nil || score > best.score || (score == best.score && node.ID < best.node.ID) {
			best = &rankedNode{node: node, score: score, devices: devs}
		}
	}
	if n > 0 {
		f.cursor = (f.cursor + examined) % n
	}
	if best != nil {
		return best, nil, nil
	}

	// No node fits: every feasible node was examined; say why.
	m := f.failureMetric()
	m.NodesFiltered += distinct
	if distinct > 0 {
		m.ConstraintFiltered[api.ConstraintDistinctHosts] += distinct
	}
	for reason, k := range unmatched {
		m.NodesFiltered += k
		m.ConstraintFiltered[reason] += k
	}
	m.NodesExhausted += exhausted
	for dim, k := range dims {
		m.DimensionExhausted[dim] += k
	}
	return nil, m, nil
}

// assignDevices asks the device allocator for each task of tg that wants
// devices, each task seeing what the tasks before it were given. It returns
// the devices per task and the mean packing score.
func assignDevices(node *api.Node, existing []*api.Allocation,
	tg *api.TaskGroup) (map[string][]*api.AllocatedDevice, float64, error) {
	out := map[string][]*api.AllocatedDevice{}
	held := slices.Clip(existing)
	var total float64
	for _, t := range tg.Tasks {
		if t.Resources == nil || len(t.Resources.Devices) == 0 {
			continue
		}
		devs, score, err := devices.Assign(node, held, t.Resources.Devices)
		if err != nil {
			return nil, 0, fmt.Errorf("assign devices to task %s: %w", t.Name, err)
		}
		out[t.Name] = devs
		total += score
		held = append(held, &api.Allocation{
			ID:            "proposed-" + t.Name,
			TaskGroup:     tg.Name,
			DesiredStatus: api.AllocDesiredRun,
			ClientStatus:  api.AllocClientPending,
			Resources:     map[string]*api.AllocatedResources{t.Name: {Devices: devs}},
		})
	}
	if len(out) == 0 {
		return out, 0, nil
	}
	return out, total / float64(len(out)), nil
}

// binPackScore scores how full node would be with the extra CPU and memory
// on top of u, in [0, 1], higher for a fuller node: 10^free is summed over
// CPU and memory (free as a fraction of capacity) and mapped from [2, 20]
// onto [1, 0], the shape Nomad's bin packing uses, which rewards filling
// the last gaps of a node most.
func binPackScore(node *api.Node, u *nodeUsage, cpu, memoryMB int) float64 {
	capCPU, capMem := nodeCapacity(node)
	total := math.Pow(10, freeFraction(capCPU, u.cpu+cpu)) +
		math.Pow(10, freeFraction(capMem, u.memoryMB+memoryMB))
	return min(max((20-total)/18, 0), 1)
}

// freeFraction returns the share of capacity left after used, in [0, 1].
func freeFraction(capacity, used int) float64 {
	if capacity <= 0 {
		return 0
	}
	return min(max(1-float64(used)/float64(capacity), 0), 1)
}
