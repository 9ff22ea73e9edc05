package schedtest

import (
	"maps"
	"slices"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// State is an in-memory scheduler.State. Its Upsert methods bump a Raft-like
// index and stamp it on what they store; Snapshot freezes a copy. Objects
// are stored and returned by pointer: callers must not change them after
// upserting them. It is not safe for concurrent use.
type State struct {
	index  uint64
	nodes  map[string]*api.Node
	jobs   map[string]*api.Job
	allocs map[string]*api.Allocation
	evals  map[string]*api.Evaluation
	// byNode and byJob index allocs: node or job ID, then alloc ID.
	byNode map[string]map[string]*api.Allocation
	byJob  map[string]map[string]*api.Allocation
}

// NewState returns an empty state at index 1.
func NewState() *State {
	return &State{
		index:  1,
		nodes:  map[string]*api.Node{},
		jobs:   map[string]*api.Job{},
		allocs: map[string]*api.Allocation{},
		evals:  map[string]*api.Evaluation{},
		byNode: map[string]map[string]*api.Allocation{},
		byJob:  map[string]map[string]*api.Allocation{},
	}
}

// Snapshot returns a copy of the state that later upserts do not change.
func (s *State) Snapshot() *State {
	return &State{
		index:  s.index,
		nodes:  maps.Clone(s.nodes),
		jobs:   maps.Clone(s.jobs),
		allocs: maps.Clone(s.allocs),
		evals:  maps.Clone(s.evals),
		byNode: cloneIndex(s.byNode),
		byJob:  cloneIndex(s.byJob),
	}
}

// UpsertNode stores a node and returns the index it was stored at.
func (s *State) UpsertNode(node *api.Node) uint64 {
	s.index++
	if old, ok := s.nodes[node.ID]; ok {
		node.CreateIndex = old.CreateIndex
	} else {
		node.CreateIndex = s.index
	}
	node.ModifyIndex = s.index
	s.nodes[node.ID] = node
	return s.index
}

// UpsertJob stores a job, setting its indexes as the FSM would: the job
// modify index moves with every upsert, and the version goes up by one over
// the stored job's unless the caller set a higher one.
func (s *State) UpsertJob(job *api.Job) uint64 {
	s.index++
	if old, ok := s.jobs[job.ID]; ok {
		job.CreateIndex = old.CreateIndex
		job.Version = max(job.Version, old.Version+1)
	} else {
		job.CreateIndex = s.index
	}
	job.ModifyIndex, job.JobModifyIndex = s.index, s.index
	s.jobs[job.ID] = job
	return s.index
}

// DeleteJob removes a job, as garbage collection or a purge would, and
// returns the index of the change.
func (s *State) DeleteJob(id string) uint64 {
	s.index++
	delete(s.jobs, id)
	return s.index
}

// UpsertAllocs stores allocations and returns the index they were stored
// at. An allocation without a Job gets the stored one's, or the current
// job's.
func (s *State) UpsertAllocs(allocs ...*api.Allocation) uint64 {
	s.index++
	for _, a := range allocs {
		if old, ok := s.allocs[a.ID]; ok {
			delete(s.byNode[old.NodeID], old.ID)
			delete(s.byJob[old.JobID], old.ID)
			a.CreateIndex = old.CreateIndex
			if a.Job == nil {
				a.Job = old.Job
			}
		} else {
			a.CreateIndex = s.index
		}
		if a.Job == nil {
			a.Job = s.jobs[a.JobID]
		}
		a.ModifyIndex = s.index
		s.allocs[a.ID] = a
		addToIndex(s.byNode, a.NodeID, a)
		addToIndex(s.byJob, a.JobID, a)
	}
	return s.index
}

// UpsertEval stores an evaluation and returns the index it was stored at.
func (s *State) UpsertEval(eval *api.Evaluation) uint64 {
	s.index++
	if old, ok := s.evals[eval.ID]; ok {
		eval.CreateIndex = old.CreateIndex
	} else {
		eval.CreateIndex = s.index
	}
	eval.ModifyIndex = s.index
	s.evals[eval.ID] = eval
	return s.index
}

// Nodes returns every node, sorted by ID.
func (s *State) Nodes() ([]*api.Node, error) {
	out := slices.Collect(maps.Values(s.nodes))
	slices.SortFunc(out, func(a, b *api.Node) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// NodeByID returns one node, or nil.
func (s *State) NodeByID(id string) (*api.Node, error) { return s.nodes[id], nil }

// JobByID returns one job, or nil.
func (s *State) JobByID(id string) (*api.Job, error) { return s.jobs[id], nil }

// EvalByID returns one evaluation, or nil.
func (s *State) EvalByID(id string) (*api.Evaluation, error) { return s.evals[id], nil }

// AllocByID returns one allocation, or nil.
func (s *State) AllocByID(id string) *api.Allocation { return s.allocs[id] }

// AllocsByJob returns every allocation of a job, sorted by ID.
func (s *State) AllocsByJob(jobID string) ([]*api.Allocation, error) {
	return sortedAllocs(s.byJob[jobID]), nil
}

// AllocsByNode returns every allocation on a node, sorted by ID.
func (s *State) AllocsByNode(nodeID string) ([]*api.Allocation, error) {
	return sortedAllocs(s.byNode[nodeID]), nil
}

// LatestIndex returns the index of the last upsert.
func (s *State) LatestIndex() uint64 { return s.index }

// Allocs returns every allocation, sorted by ID.
func (s *State) Allocs() []*api.Allocation {
	return sortedAllocs(s.allocs)
}

// sortedAllocs returns the map's allocations sorted by ID.
func sortedAllocs(m map[string]*api.Allocation) []*api.Allocation {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(a, b *api.Allocation) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// addToIndex files an allocation under key.
func addToIndex(index map[string]map[string]*api.Allocation, key string, a *api.Allocation) {
	if index[key] == nil {
		index[key] = map[string]*api.Allocation{}
	}
	index[key][a.ID] = a
}

// cloneIndex copies an allocation index two levels deep.
func cloneIndex(index map[string]map[string]*api.Allocation) map[string]map[string]*api.Allocation {
	out := make(map[string]map[string]*api.Allocation, len(index))
	for k, m := range index {
		out[k] = maps.Clone(m)
	}
	return out
}
