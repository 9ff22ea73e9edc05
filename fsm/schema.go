package fsm

import (
	"github.com/hashicorp/go-memdb"
)

// Table names, for Blocking and for the index table.
const (
	TableJobs        = "jobs"
	TableJobVersions = "job_versions"
	TableEvals       = "evals"
	TableAllocs      = "allocs"
	TableNodes       = "nodes"
	// TableIndex holds each table's latest Raft index.
	TableIndex = "index"
)

// dataTables lists the tables that hold cluster objects, in the order they
// are written to snapshots.
var dataTables = []string{TableNodes, TableJobs, TableJobVersions, TableEvals, TableAllocs}

// jobVersionsKept is how many versions of each job job_versions keeps.
const jobVersionsKept = 6

// indexEntry is one row of the index table: the latest Raft index at which
// the table Key changed.
type indexEntry struct {
	Key   string
	Value uint64
}

// schema returns the memdb schema of the state store.
func schema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		TableIndex: {
			Name:    TableIndex,
			Indexes: map[string]*memdb.IndexSchema{"id": stringIndex("id", "Key")},
		},
		TableNodes: {
			Name:    TableNodes,
			Indexes: map[string]*memdb.IndexSchema{"id": stringIndex("id", "ID")},
		},
		TableJobs: {
			Name:    TableJobs,
			Indexes: map[string]*memdb.IndexSchema{"id": stringIndex("id", "ID")},
		},
		TableJobVersions: {
			Name: TableJobVersions,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {
					Name:   "id",
					Unique: true,
					Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
						&memdb.StringFieldIndex{Field: "ID"},
						&memdb.UintFieldIndex{Field: "Version"},
					}},
				},
				"job": nonUniqueIndex("job", "ID"),
			},
		},
		TableEvals: {
			Name: TableEvals,
			Indexes: map[string]*memdb.IndexSchema{
				"id":  stringIndex("id", "ID"),
				"job": nonUniqueIndex("job", "JobID"),
			},
		},
		TableAllocs: {
			Name: TableAllocs,
			Indexes: map[string]*memdb.IndexSchema{
				"id":   stringIndex("id", "ID"),
				"job":  nonUniqueIndex("job", "JobID"),
				"node": nonUniqueIndex("node", "NodeID"),
				"eval": nonUniqueIndex("eval", "EvalID"),
			},
		},
	}}
}

// stringIndex is a unique index on a string field.
func stringIndex(name, field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{
		Name:    name,
		Unique:  true,
		Indexer: &memdb.StringFieldIndex{Field: field},
	}
}

// nonUniqueIndex is a non-unique index on a string field that may be empty
// (an allocation's EvalID, an evaluation's JobID).
func nonUniqueIndex(name, field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{
		Name:         name,
		AllowMissing: true,
		Indexer:      &memdb.StringFieldIndex{Field: field},
	}
}
