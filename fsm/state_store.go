package fsm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// ErrUnknownTable is returned by Blocking when a table name is not one of
// TableJobs, TableJobVersions, TableEvals, TableAllocs or TableNodes.
var ErrUnknownTable = errors.New("unknown table")

// StateStore is the indexed state of the cluster: jobs and their versions,
// evaluations, allocations and nodes in go-memdb, each change stamped with
// its Raft index. Only the FSM writes to it. Reads go through Snapshot or
// Blocking and return shared, immutable objects: callers must not change
// what they read.
type StateStore struct {
	mu struct {
		sync.RWMutex
		// db is the current database; Restore swaps in a new one.
		db *memdb.MemDB
		// abandonCh is closed when db is swapped out, to wake queries
		// blocked on it.
		abandonCh chan struct{}
	}
}

// NewStateStore returns an empty state store whose tables are all at
// index 0.
func NewStateStore() *StateStore {
	db, err := memdb.NewMemDB(schema())
	invariant(err, "create state store")

	// Seed the index table so that every table's entry exists and has its
	// own watch channel from the start.
	txn := db.Txn(true)
	for _, table := range dataTables {
		invariant(txn.Insert(TableIndex, &indexEntry{Key: table}), "seed index table")
	}
	txn.Commit()

	s := &StateStore{}
	s.mu.db = db
	s.mu.abandonCh = make(chan struct{})
	return s
}

// Snapshot returns a read-only view of the state as it is now. It never
// changes, even when the store does, and needs no closing. The objects it
// returns are shared with the store and must not be changed.
func (s *StateStore) Snapshot() *Snapshot {
	db, _ := s.current()
	return &Snapshot{txn: db.Txn(false)}
}

// Blocking runs run on a snapshot once the latest index of the named
// tables is past minIndex. It runs at once when it already is, or when
// minIndex is 0 (a query that did not ask to block); otherwise it
// waits, on the memdb watch channels of those tables' index entries, until
// a write moves one of them past minIndex, a Restore swaps the state (it
// then runs on the restored state whatever its index), or ctx ends (it then
// runs on the state as it is). It returns run's result and error and the
// highest index of the named tables in the snapshot run saw, at least 1.
// Blocking returns ErrUnknownTable, without running run, for a name that is
// not one of the data tables (TableIndex cannot be watched).
func (s *StateStore) Blocking(ctx context.Context, minIndex uint64, tables []string,
	run func(snap *Snapshot) (any, error)) (any, uint64, error) {
	if len(tables) == 0 {
		return nil, 0, errors.New("blocking query: name at least one table")
	}
	for _, table := range tables {
		if !slices.Contains(dataTables, table) {
			return nil, 0, fmt.Errorf("blocking query: %w %q", ErrUnknownTable, table)
		}
	}

	for {
		db, abandonCh := s.current()
		snap := &Snapshot{txn: db.Txn(false)}
		ws := memdb.NewWatchSet()
		ws.Add(abandonCh)
		index := snap.tablesIndex(tables, ws)

		if index > minIndex || minIndex == 0 || ctx.Err() != nil {
			result, err := run(snap)
			return result, max(index, 1), err
		}

		// Wait for a change; a Restore runs on the new state at once.
		if err := ws.WatchCtx(ctx); err == nil && isClosed(abandonCh) {
			db, _ = s.current()
			snap = &Snapshot{txn: db.Txn(false)}
			result, err := run(snap)
			return result, max(snap.tablesIndex(tables, nil), 1), err
		}
	}
}

// current returns the database and its abandon channel.
func (s *StateStore) current() (*memdb.MemDB, chan struct{}) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.db, s.mu.abandonCh
}

// replace swaps in the database of fresh, a store built by Restore, and
// wakes every query blocked on the old one.
func (s *StateStore) replace(fresh *StateStore) {
	db, _ := fresh.current()

	s.mu.Lock()
	old := s.mu.abandonCh
	s.mu.db = db
	s.mu.abandonCh = make(chan struct{})
	s.mu.Unlock()

	close(old)
}

// write applies fn in one write transaction at the given Raft index. When
// fn fails nothing is changed; otherwise the status of every job fn touched
// is derived again and the index entries of the changed tables are moved
// to index before the commit.
func (s *StateStore) write(index uint64, fn func(tx *writeTxn) error) error {
	db, _ := s.current()
	tx := newWriteTxn(db.Txn(true), index)
	defer tx.Abort()

	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.finish(); err != nil {
		return err
	}
	tx.Commit()
	return nil
}

// isClosed reports whether ch is closed.
func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// invariant panics when err is not nil: a broken invariant of the store
// (its schema, an object of the wrong type in a table), never bad input.
func invariant(err error, what string) {
	if err != nil {
		panic(fmt.Sprintf("fsm: broken invariant: %s: %v", what, err))
	}
}
