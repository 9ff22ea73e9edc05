package fsm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/constellation-sched/constellation/api"
)

// ErrAmbiguousPrefix is returned by AllocByPrefix and NodeByPrefix when
// more than one ID starts with the prefix.
var ErrAmbiguousPrefix = errors.New("ambiguous ID prefix")

// Snapshot is a read-only view of the state at one moment, taken by
// (*StateStore).Snapshot or handed to a Blocking query's function. It
// satisfies the scheduler's State interface. Lookups of missing objects
// return nil and no error; lists are in ID order. Every object returned is
// shared with the store and with other readers: never change one, copy it
// first.
type Snapshot struct {
	txn *memdb.Txn
}

// Nodes returns every node.
func (s *Snapshot) Nodes() ([]*api.Node, error) {
	return list[api.Node](s.txn, TableNodes, "id")
}

// NodeByID returns one node, or nil.
func (s *Snapshot) NodeByID(id string) (*api.Node, error) {
	return first[api.Node](s.txn, TableNodes, id), nil
}

// NodeByPrefix returns the one node whose ID starts with prefix, or nil
// when none does. It returns ErrAmbiguousPrefix when several do.
func (s *Snapshot) NodeByPrefix(prefix string) (*api.Node, error) {
	return byPrefix[api.Node](s.txn, TableNodes, prefix, func(n *api.Node) string { return n.ID })
}

// Jobs returns the current version of every job.
func (s *Snapshot) Jobs() ([]*api.Job, error) {
	return list[api.Job](s.txn, TableJobs, "id")
}

// JobByID returns the current version of a job, or nil.
func (s *Snapshot) JobByID(id string) (*api.Job, error) {
	return first[api.Job](s.txn, TableJobs, id), nil
}

// JobVersions returns the stored versions of a job, newest first: at most
// six, each as it was when it was registered (its Status is the status at
// that time).
func (s *Snapshot) JobVersions(id string) ([]*api.Job, error) {
	return jobVersions(s.txn, id)
}

// Evals returns every evaluation.
func (s *Snapshot) Evals() ([]*api.Evaluation, error) {
	return list[api.Evaluation](s.txn, TableEvals, "id")
}

// EvalByID returns one evaluation, or nil.
func (s *Snapshot) EvalByID(id string) (*api.Evaluation, error) {
	return first[api.Evaluation](s.txn, TableEvals, id), nil
}

// EvalsByJob returns every evaluation of a job.
func (s *Snapshot) EvalsByJob(jobID string) ([]*api.Evaluation, error) {
	return list[api.Evaluation](s.txn, TableEvals, "job", jobID)
}

// Allocs returns every allocation.
func (s *Snapshot) Allocs() ([]*api.Allocation, error) {
	return list[api.Allocation](s.txn, TableAllocs, "id")
}

// AllocByID returns one allocation, or nil.
func (s *Snapshot) AllocByID(id string) (*api.Allocation, error) {
	return first[api.Allocation](s.txn, TableAllocs, id), nil
}

// AllocByPrefix returns the one allocation whose ID starts with prefix, or
// nil when none does. It returns ErrAmbiguousPrefix when several do.
func (s *Snapshot) AllocByPrefix(prefix string) (*api.Allocation, error) {
	return byPrefix[api.Allocation](s.txn, TableAllocs, prefix,
		func(a *api.Allocation) string { return a.ID })
}

// AllocsByJob returns every allocation of a job, terminal ones too.
func (s *Snapshot) AllocsByJob(jobID string) ([]*api.Allocation, error) {
	return list[api.Allocation](s.txn, TableAllocs, "job", jobID)
}

// AllocsByNode returns every allocation placed on a node, terminal ones
// too.
func (s *Snapshot) AllocsByNode(nodeID string) ([]*api.Allocation, error) {
	return list[api.Allocation](s.txn, TableAllocs, "node", nodeID)
}

// AllocsByEval returns every allocation an evaluation placed.
func (s *Snapshot) AllocsByEval(evalID string) ([]*api.Allocation, error) {
	return list[api.Allocation](s.txn, TableAllocs, "eval", evalID)
}

// LatestIndex returns the highest Raft index of any table: the index the
// snapshot was taken at.
func (s *Snapshot) LatestIndex() uint64 {
	return s.tablesIndex(dataTables, nil)
}

// TableIndex returns the Raft index at which a data table last changed, 0
// when it never has or when table names no data table.
func (s *Snapshot) TableIndex(table string) uint64 {
	return s.tablesIndex([]string{table}, nil)
}

// tablesIndex returns the highest index of the named tables and, when ws
// is not nil, adds the watch channels of their index entries to it.
func (s *Snapshot) tablesIndex(tables []string, ws memdb.WatchSet) uint64 {
	var index uint64
	for _, table := range tables {
		ch, raw, err := s.txn.FirstWatch(TableIndex, "id", table)
		invariant(err, "read index table")
		if ws != nil {
			ws.Add(ch)
		}
		if raw != nil {
			index = max(index, raw.(*indexEntry).Value)
		}
	}
	return index
}

// list returns the objects of an index lookup, in index order.
func list[T any](txn *memdb.Txn, table, index string, args ...any) ([]*T, error) {
	it, err := txn.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s by %s: %w", table, index, err)
	}
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*T))
	}
	return out, nil
}

// byPrefix returns the one object whose ID starts with prefix.
func byPrefix[T any](txn *memdb.Txn, table, prefix string, id func(*T) string) (*T, error) {
	if prefix == "" {
		return nil, fmt.Errorf("look up %s by prefix: the prefix is empty", table)
	}
	it, err := txn.Get(table, "id_prefix", prefix)
	if err != nil {
		return nil, fmt.Errorf("look up %s by prefix %q: %w", table, prefix, err)
	}
	var found []*T
	for raw := it.Next(); raw != nil && len(found) < 3; raw = it.Next() {
		found = append(found, raw.(*T))
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	ids := make([]string, 0, 2)
	for _, obj := range found[:2] {
		ids = append(ids, id(obj))
	}
	more := ""
	if len(found) > 2 {
		more = " and more"
	}
	return nil, fmt.Errorf("look up %s: %w: %q matches %s%s; give more characters",
		table, ErrAmbiguousPrefix, prefix, strings.Join(ids, ", "), more)
}

// jobVersions returns the stored versions of a job, newest first.
func jobVersions(txn *memdb.Txn, jobID string) ([]*api.Job, error) {
	versions, err := list[api.Job](txn, TableJobVersions, "job", jobID)
	if err != nil {
		return nil, err
	}
	sortVersionsNewestFirst(versions)
	return versions, nil
}
