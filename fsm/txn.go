package fsm

import (
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"

	"github.com/constellation-sched/constellation/api"
)

// writeTxn is one command's write transaction. It records which tables
// changed, so that their index entries move to the command's Raft index,
// and which jobs' allocations or evaluations changed, so that their status
// is derived again before the commit.
type writeTxn struct {
	*memdb.Txn
	// index is the Raft index of the command being applied.
	index uint64
	// changed holds the names of the tables written.
	changed map[string]bool
	// touchedJobs holds the IDs of jobs whose status may have changed.
	touchedJobs map[string]bool
}

// newWriteTxn wraps txn for a command at the given index.
func newWriteTxn(txn *memdb.Txn, index uint64) *writeTxn {
	return &writeTxn{
		Txn:         txn,
		index:       index,
		changed:     map[string]bool{},
		touchedJobs: map[string]bool{},
	}
}

// insert stores obj in table and marks the table changed.
func (tx *writeTxn) insert(table string, obj any) error {
	if err := tx.Insert(table, obj); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	tx.changed[table] = true
	return nil
}

// remove deletes obj from table and marks the table changed.
func (tx *writeTxn) remove(table string, obj any) error {
	if err := tx.Delete(table, obj); err != nil {
		return fmt.Errorf("delete from %s: %w", table, err)
	}
	tx.changed[table] = true
	return nil
}

// touchJob marks a job for its status to be derived again.
func (tx *writeTxn) touchJob(jobID string) {
	if jobID != "" {
		tx.touchedJobs[jobID] = true
	}
}

// finish derives the status of every touched job, in ID order, and moves
// the index entries of the changed tables to the transaction's index.
func (tx *writeTxn) finish() error {
	for _, jobID := range sortedKeys(tx.touchedJobs) {
		if err := tx.refreshJobStatus(jobID); err != nil {
			return err
		}
	}
	for _, table := range sortedKeys(tx.changed) {
		if err := tx.Insert(TableIndex, &indexEntry{Key: table, Value: tx.index}); err != nil {
			return fmt.Errorf("update index of %s: %w", table, err)
		}
	}
	return nil
}

// upsertEvals stores evaluations, keeping the CreateIndex of ones that
// exist. Whether they are new or not, the evaluation objects are the
// command's own, freshly decoded, so they are stored without a copy.
func (tx *writeTxn) upsertEvals(evals []*api.Evaluation) error {
	for _, eval := range evals {
		if eval == nil {
			continue
		}
		if eval.ID == "" {
			return fmt.Errorf("%w: evaluation without an ID", ErrMalformedCommand)
		}
		eval.CreateIndex = tx.index
		if existing := tx.evalByID(eval.ID); existing != nil {
			eval.CreateIndex = existing.CreateIndex
			tx.touchJob(existing.JobID)
		}
		eval.ModifyIndex = tx.index
		if err := tx.insert(TableEvals, eval); err != nil {
			return err
		}
		tx.touchJob(eval.JobID)
	}
	return nil
}

// deleteEvals deletes evaluations by ID, ignoring unknown ones.
func (tx *writeTxn) deleteEvals(ids []string) error {
	for _, id := range ids {
		eval := tx.evalByID(id)
		if eval == nil {
			continue
		}
		if err := tx.remove(TableEvals, eval); err != nil {
			return err
		}
		tx.touchJob(eval.JobID)
	}
	return nil
}

// refreshJobStatus derives a job's status from its allocations and
// evaluations and stores a copy of the job when the status changed.
func (tx *writeTxn) refreshJobStatus(jobID string) error {
	job := tx.jobByID(jobID)
	if job == nil {
		return nil
	}
	status, err := tx.jobStatus(job)
	if err != nil {
		return err
	}
	if status == job.Status {
		return nil
	}
	updated := *job
	updated.Status = status
	updated.ModifyIndex = tx.index
	return tx.insert(TableJobs, &updated)
}

// jobStatus derives a job's status: running while any allocation is not
// terminal; dead once a stopped job has only terminal allocations, or once
// a batch job has allocations, all terminal, and no evaluation left to
// run; pending otherwise.
func (tx *writeTxn) jobStatus(job *api.Job) (string, error) {
	allocs, err := tx.Get(TableAllocs, "job", job.ID)
	if err != nil {
		return "", fmt.Errorf("derive status of job %q: %w", job.ID, err)
	}
	hasAllocs := false
	for raw := allocs.Next(); raw != nil; raw = allocs.Next() {
		hasAllocs = true
		if !raw.(*api.Allocation).Terminal() {
			return api.JobStatusRunning, nil
		}
	}

	switch {
	case job.Stop:
		return api.JobStatusDead, nil
	case job.Type == api.JobTypeBatch && hasAllocs:
		evals, err := tx.Get(TableEvals, "job", job.ID)
		if err != nil {
			return "", fmt.Errorf("derive status of job %q: %w", job.ID, err)
		}
		for raw := evals.Next(); raw != nil; raw = evals.Next() {
			if !evalTerminal(raw.(*api.Evaluation)) {
				return api.JobStatusPending, nil
			}
		}
		return api.JobStatusDead, nil
	default:
		return api.JobStatusPending, nil
	}
}

// evalTerminal reports whether an evaluation will not be scheduled again.
func evalTerminal(eval *api.Evaluation) bool {
	switch eval.Status {
	case api.EvalStatusComplete, api.EvalStatusFailed, api.EvalStatusCanceled:
		return true
	}
	return false
}

// jobByID returns the stored job, or nil.
func (tx *writeTxn) jobByID(id string) *api.Job {
	return first[api.Job](tx.Txn, TableJobs, id)
}

// evalByID returns the stored evaluation, or nil.
func (tx *writeTxn) evalByID(id string) *api.Evaluation {
	return first[api.Evaluation](tx.Txn, TableEvals, id)
}

// allocByID returns the stored allocation, or nil.
func (tx *writeTxn) allocByID(id string) *api.Allocation {
	return first[api.Allocation](tx.Txn, TableAllocs, id)
}

// nodeByID returns the stored node, or nil.
func (tx *writeTxn) nodeByID(id string) *api.Node {
	return first[api.Node](tx.Txn, TableNodes, id)
}

// first looks an object up by its "id" index and returns nil when it is
// missing. An empty id is missing.
func first[T any](txn *memdb.Txn, table, id string) *T {
	if id == "" {
		return nil
	}
	raw, err := txn.First(table, "id", id)
	invariant(err, "lookup in "+table)
	if raw == nil {
		return nil
	}
	return raw.(*T)
}

// sortedKeys returns the keys of a set in order, so that nothing stored
// depends on map iteration order.
func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// evalUpdate stores the evaluations of an EvalUpdateRequest.
func (tx *writeTxn) evalUpdate(req *EvalUpdateRequest) error {
	if err := tx.upsertEvals(req.Evals); err != nil {
		return fmt.Errorf("apply eval update: %w", err)
	}
	return nil
}

// evalDelete deletes the evaluations of an EvalDeleteRequest.
func (tx *writeTxn) evalDelete(req *EvalDeleteRequest) error {
	if err := tx.deleteEvals(req.EvalIDs); err != nil {
		return fmt.Errorf("apply eval delete: %w", err)
	}
	return nil
}
