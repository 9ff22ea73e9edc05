package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/constellation-sched/constellation/api"
)

// ErrIndexMismatch is returned by Apply as the response to a
// JobRegisterRequest with EnforceIndex set whose JobModifyIndex is not the
// stored job's (or is not 0 for a job that does not exist yet).
var ErrIndexMismatch = errors.New("job modify index mismatch")

// ErrJobNotFound is returned by Apply as the response to a
// JobDeregisterRequest for a job that is not stored.
var ErrJobNotFound = errors.New("job not found")

// jobRegister stores a job and its evaluation. A job whose spec changed
// (or a new one) becomes a new version with JobModifyIndex at this index;
// registering an unchanged spec only moves ModifyIndex.
func (tx *writeTxn) jobRegister(req *JobRegisterRequest) error {
	job := req.Job
	if job == nil || job.ID == "" {
		return fmt.Errorf("apply job register: %w: the job needs an ID", ErrMalformedCommand)
	}
	existing := tx.jobByID(job.ID)
	if err := checkEnforceIndex(req, existing); err != nil {
		return fmt.Errorf("apply job register: %w", err)
	}

	if err := tx.upsertJobAndEval(job, existing, req.Eval); err != nil {
		return fmt.Errorf("apply job register: %w", err)
	}
	return nil
}

// jobDeregister stops a job, as a new version with Stop set, or with Purge
// deletes it and every stored version of it. The job's allocations stay
// until the scheduler stops them.
func (tx *writeTxn) jobDeregister(req *JobDeregisterRequest) error {
	existing := tx.jobByID(req.JobID)
	if existing == nil {
		return fmt.Errorf("apply job deregister: %w: %q", ErrJobNotFound, req.JobID)
	}
	if req.Purge {
		if err := tx.upsertEvals([]*api.Evaluation{req.Eval}); err != nil {
			return fmt.Errorf("apply job deregister: %w", err)
		}
		if err := tx.purgeJob(existing); err != nil {
			return fmt.Errorf("apply job deregister: %w", err)
		}
		return nil
	}

	stopped := *existing
	stopped.Stop = true
	stopped.SubmitTime = req.SubmitTime
	if err := tx.upsertJobAndEval(&stopped, existing, req.Eval); err != nil {
		return fmt.Errorf("apply job deregister: %w", err)
	}
	return nil
}

// upsertJobAndEval stores a job and the evaluation that came with it
// (which may be nil). The evaluation's JobModifyIndex is set to the job's
// as stored, so that the scheduler can tell which spec it was made for.
func (tx *writeTxn) upsertJobAndEval(job, existing *api.Job, eval *api.Evaluation) error {
	changed, err := specChanged(job, existing)
	if err != nil {
		return err
	}
	if eval != nil {
		eval.JobModifyIndex = tx.index
		if !changed {
			eval.JobModifyIndex = existing.JobModifyIndex
		}
	}

	// The evaluation goes first: a batch job's status depends on it.
	if err := tx.upsertEvals([]*api.Evaluation{eval}); err != nil {
		return err
	}
	return tx.upsertJob(job, existing, changed)
}

// checkEnforceIndex refuses a register whose expected JobModifyIndex does
// not match the stored job.
func checkEnforceIndex(req *JobRegisterRequest, existing *api.Job) error {
	if !req.EnforceIndex {
		return nil
	}
	switch {
	case existing == nil && req.JobModifyIndex != 0:
		return fmt.Errorf("%w: job %q does not exist, so JobModifyIndex must be 0, not %d",
			ErrIndexMismatch, req.Job.ID, req.JobModifyIndex)
	case existing != nil && existing.JobModifyIndex != req.JobModifyIndex:
		return fmt.Errorf("%w: job %q is at JobModifyIndex %d, not %d; read the job again and resubmit",
			ErrIndexMismatch, req.Job.ID, existing.JobModifyIndex, req.JobModifyIndex)
	}
	return nil
}

// upsertJob stores job, a fresh object owned by this transaction, in place
// of existing (nil for a new job); changed says whether its spec differs.
// The job's Status is derived here.
func (tx *writeTxn) upsertJob(job, existing *api.Job, changed bool) error {
	// An unchanged spec keeps the stored job and its version.
	if !changed {
		kept := *existing
		kept.ModifyIndex = tx.index
		return tx.insert(TableJobs, &kept)
	}

	job.CreateIndex = tx.index
	job.Version = 0
	if existing != nil {
		job.CreateIndex = existing.CreateIndex
		job.Version = existing.Version + 1
	}
	job.ModifyIndex = tx.index
	job.JobModifyIndex = tx.index
	status, err := tx.jobStatus(job)
	if err != nil {
		return err
	}
	job.Status = status
	if err := tx.insert(TableJobs, job); err != nil {
		return err
	}
	if err := tx.insert(TableJobVersions, job); err != nil {
		return err
	}
	return tx.pruneJobVersions(job.ID)
}

// purgeJob deletes a job and its stored versions.
func (tx *writeTxn) purgeJob(job *api.Job) error {
	versions, err := tx.jobVersions(job.ID)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if err := tx.remove(TableJobVersions, v); err != nil {
			return err
		}
	}
	return tx.remove(TableJobs, job)
}

// pruneJobVersions deletes all but the newest jobVersionsKept versions of a
// job.
func (tx *writeTxn) pruneJobVersions(jobID string) error {
	versions, err := tx.jobVersions(jobID)
	if err != nil {
		return err
	}
	for len(versions) > jobVersionsKept {
		if err := tx.remove(TableJobVersions, versions[len(versions)-1]); err != nil {
			return err
		}
		versions = versions[:len(versions)-1]
	}
	return nil
}

// jobVersions returns the stored versions of a job, newest first.
func (tx *writeTxn) jobVersions(jobID string) ([]*api.Job, error) {
	return jobVersions(tx.Txn, jobID)
}

// specChanged reports whether job's spec differs from existing's, ignoring
// the fields the servers set: status, version, submit time and indexes. A
// missing existing job counts as a change.
func specChanged(job, existing *api.Job) (bool, error) {
	if existing == nil {
		return true, nil
	}
	a, err := encodeCanonical(specOf(job))
	if err != nil {
		return false, fmt.Errorf("compare job specs: %w", err)
	}
	b, err := encodeCanonical(specOf(existing))
	if err != nil {
		return false, fmt.Errorf("compare job specs: %w", err)
	}
	return !bytes.Equal(a, b), nil
}

// specOf returns a copy of job with the server-set fields cleared.
func specOf(job *api.Job) *api.Job {
	spec := *job
	spec.Status = ""
	spec.Version = 0
	spec.SubmitTime = 0
	spec.CreateIndex = 0
	spec.ModifyIndex = 0
	spec.JobModifyIndex = 0
	return &spec
}

// sortVersionsNewestFirst orders job versions by descending Version.
func sortVersionsNewestFirst(versions []*api.Job) {
	slices.SortFunc(versions, func(a, b *api.Job) int {
		switch {
		case a.Version > b.Version:
			return -1
		case a.Version < b.Version:
			return 1
		}
		return 0
	})
}
