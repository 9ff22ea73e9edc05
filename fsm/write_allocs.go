package fsm

import (
	"fmt"

	"github.com/constellation-sched/constellation/api"
)

// planApply commits a plan: stops and lost marks, then placements and
// in-place updates, then the plan's evaluations.
//
// TODO: no command deletes allocations or terminal jobs yet, so they stay
// in the store (and in every snapshot) until a garbage-collection command
// is added.
func (tx *writeTxn) planApply(req *PlanApplyRequest) error {
	for _, update := range req.NodeUpdate {
		if err := tx.stopAlloc(update, req.Timestamp); err != nil {
			return fmt.Errorf("apply plan for eval %q: %w", req.EvalID, err)
		}
	}
	for _, alloc := range req.Alloc {
		if err := tx.placeAlloc(alloc, req.Job, req.Timestamp); err != nil {
			return fmt.Errorf("apply plan for eval %q: %w", req.EvalID, err)
		}
	}
	if err := tx.upsertEvals(req.Evals); err != nil {
		return fmt.Errorf("apply plan for eval %q: %w", req.EvalID, err)
	}
	return nil
}

// allocClientUpdate merges what clients report into the stored
// allocations and stores the evaluations that came with it.
func (tx *writeTxn) allocClientUpdate(req *AllocClientUpdateRequest) error {
	for _, update := range req.Allocs {
		if err := tx.mergeClientUpdate(update, req.Timestamp); err != nil {
			return fmt.Errorf("apply alloc client update: %w", err)
		}
	}
	if err := tx.upsertEvals(req.Evals); err != nil {
		return fmt.Errorf("apply alloc client update: %w", err)
	}
	return nil
}

// stopAlloc merges a plan's stop or lost mark into the stored allocation.
// An allocation that is no longer stored is skipped.
func (tx *writeTxn) stopAlloc(update *api.Allocation, now int64) error {
	if update == nil {
		return nil
	}
	existing := tx.allocByID(update.ID)
	if existing == nil {
		return nil
	}
	if err := checkDesiredStatus(update); err != nil {
		return err
	}

	alloc := *existing
	alloc.DesiredStatus = update.DesiredStatus
	alloc.DesiredDescription = update.DesiredDescription
	if update.ClientStatus != "" {
		if err := checkClientStatus(update); err != nil {
			return err
		}
		alloc.ClientStatus = update.ClientStatus
		alloc.ClientDescription = update.ClientDescription
	}
	alloc.ModifyIndex = tx.index
	alloc.AllocModifyIndex = tx.index
	alloc.ModifyTime = now
	tx.touchJob(alloc.JobID)
	return tx.insert(TableAllocs, &alloc)
}

// placeAlloc stores a new placement or an in-place update. An update keeps
// what the client reported (ClientStatus, ClientDescription, TaskStates)
// and when the allocation was created.
func (tx *writeTxn) placeAlloc(alloc *api.Allocation, job *api.Job, now int64) error {
	if alloc == nil {
		return nil
	}
	if alloc.ID == "" || alloc.NodeID == "" || alloc.JobID == "" {
		return fmt.Errorf("%w: allocation %q needs an ID, a NodeID and a JobID",
			ErrMalformedCommand, alloc.ID)
	}
	// TODO: each allocation refers to its own copy of the job it runs, and
	// a snapshot writes that job out once per allocation, so snapshots grow
	// with allocations times job size; store each job version once and
	// refer to it by version instead.
	if alloc.Job == nil {
		alloc.Job = job
	}
	if alloc.DesiredStatus == "" {
		alloc.DesiredStatus = api.AllocDesiredRun
	}
	if err := checkDesiredStatus(alloc); err != nil {
		return err
	}

	// Keep the stored allocation's client-side fields and creation.
	if existing := tx.allocByID(alloc.ID); existing != nil {
		alloc.CreateIndex = existing.CreateIndex
		alloc.CreateTime = existing.CreateTime
		alloc.ClientStatus = existing.ClientStatus
		alloc.ClientDescription = existing.ClientDescription
		alloc.TaskStates = existing.TaskStates
		tx.touchJob(existing.JobID)
	} else {
		alloc.CreateIndex = tx.index
		alloc.CreateTime = now
		if alloc.ClientStatus == "" {
			alloc.ClientStatus = api.AllocClientPending
		}
		if err := checkClientStatus(alloc); err != nil {
			return err
		}
	}
	alloc.ModifyIndex = tx.index
	alloc.AllocModifyIndex = tx.index
	alloc.ModifyTime = now
	tx.touchJob(alloc.JobID)
	return tx.insert(TableAllocs, alloc)
}

// mergeClientUpdate merges one client report. Unknown allocations are
// skipped. An allocation that is already client-terminal (complete, failed
// or lost) keeps its status and description: a late or repeated report
// must not bring back to life what the servers have given up on. Task
// states are still merged.
func (tx *writeTxn) mergeClientUpdate(update *api.Allocation, now int64) error {
	if update == nil {
		return nil
	}
	existing := tx.allocByID(update.ID)
	if existing == nil {
		return nil
	}

	alloc := *existing
	if update.ClientStatus != "" && !resurrects(existing, update) {
		if err := checkClientStatus(update); err != nil {
			return err
		}
		alloc.ClientStatus = update.ClientStatus
		alloc.ClientDescription = update.ClientDescription
	}
	if update.TaskStates != nil {
		alloc.TaskStates = update.TaskStates
	}
	alloc.ModifyIndex = tx.index
	alloc.ModifyTime = now
	tx.touchJob(alloc.JobID)
	return tx.insert(TableAllocs, &alloc)
}

// resurrects reports whether applying update's client status would move a
// finished allocation back: anything over lost, or a non-terminal status
// over a terminal one.
func resurrects(existing, update *api.Allocation) bool {
	if existing.ClientStatus == api.AllocClientLost {
		return update.ClientStatus != api.AllocClientLost
	}
	return existing.ClientTerminal() && !update.ClientTerminal()
}

// checkDesiredStatus refuses an allocation whose DesiredStatus is not one
// of the api.AllocDesired constants.
func checkDesiredStatus(alloc *api.Allocation) error {
	switch alloc.DesiredStatus {
	case api.AllocDesiredRun, api.AllocDesiredStop, api.AllocDesiredEvict:
		return nil
	}
	return fmt.Errorf("%w: allocation %q has desired status %q; use run, stop or evict",
		ErrMalformedCommand, alloc.ID, alloc.DesiredStatus)
}

// checkClientStatus refuses an allocation whose ClientStatus is not one of
// the api.AllocClient constants.
func checkClientStatus(alloc *api.Allocation) error {
	switch alloc.ClientStatus {
	case api.AllocClientPending, api.AllocClientRunning, api.AllocClientComplete,
		api.AllocClientFailed, api.AllocClientLost:
		return nil
	}
	return fmt.Errorf("%w: allocation %q has client status %q; "+
		"use pending, running, complete, failed or lost",
		ErrMalformedCommand, alloc.ID, alloc.ClientStatus)
}
