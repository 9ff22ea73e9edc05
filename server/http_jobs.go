package server

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
	"github.com/constellation-sched/constellation/scheduler/devices"
)

var jobTables = []string{fsm.TableJobs}

func (s *Server) jobList(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.blockingRead(w, r, jobTables, func(snap *fsm.Snapshot) (any, error) {
		jobs, err := snap.Jobs()
		if err != nil {
			return nil, err
		}
		out := make([]*api.JobListStub, 0, len(jobs))
		for _, j := range jobs {
			out = append(out, j.Stub())
		}
		sort.Slice(out, func(i, k int) bool { return out[i].ID < out[k].ID })
		return out, nil
	})
}

func (s *Server) jobRead(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "job")
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, jobTables, func(snap *fsm.Snapshot) (any, error) {
		job, err := snap.JobByID(id)
		if err != nil {
			return nil, err
		}
		if job == nil {
			return nil, errorf(http.StatusNotFound, "job %q not found", id)
		}
		return job, nil
	})
}

func (s *Server) jobVersions(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "job")
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, []string{fsm.TableJobVersions}, func(snap *fsm.Snapshot) (any, error) {
		versions, err := snap.JobVersions(id)
		if err != nil {
			return nil, err
		}
		if len(versions) == 0 {
			return nil, errorf(http.StatusNotFound, "job %q not found", id)
		}
		return versions, nil
	})
}

func (s *Server) jobAllocs(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "job")
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, []string{fsm.TableAllocs}, func(snap *fsm.Snapshot) (any, error) {
		allocs, err := snap.AllocsByJob(id)
		if err != nil {
			return nil, err
		}
		return allocStubs(allocs), nil
	})
}

func (s *Server) jobEvals(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "job")
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, []string{fsm.TableEvals}, func(snap *fsm.Snapshot) (any, error) {
		evals, err := snap.EvalsByJob(id)
		if err != nil {
			return nil, err
		}
		sort.Slice(evals, func(i, k int) bool { return evals[i].CreateIndex < evals[k].CreateIndex })
		return evals, nil
	})
}

// jobRegister validates a job and commits it with an evaluation.
func (s *Server) jobRegister(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req api.JobRegisterRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Job == nil {
		return nil, errorf(http.StatusBadRequest, `request has no "Job": send {"Job": {...}}`)
	}
	return s.registerJob(req.Job, api.EvalTriggerJobRegister, req.EnforceIndex, req.JobModifyIndex)
}

// registerJob canonicalizes, validates and commits a job version.
func (s *Server) registerJob(job *api.Job, trigger string, enforce bool, modifyIndex uint64) (*api.JobRegisterResponse, error) {
	job.Canonicalize()
	if err := validateJob(job); err != nil {
		return nil, errorf(http.StatusBadRequest, "job is not valid: %v", err)
	}
	job.SubmitTime = time.Now().UnixNano()
	job.Stop = false
	eval := newEval(job, trigger)
	req := &fsm.JobRegisterRequest{Job: job, Eval: eval, EnforceIndex: enforce, JobModifyIndex: modifyIndex}
	index, err := s.raftApply(fsm.JobRegisterRequestType, req)
	if err != nil {
		return nil, err
	}
	s.enqueueEvals([]*api.Evaluation{eval})
	stored, _ := s.State().Snapshot().JobByID(job.ID)
	resp := &api.JobRegisterResponse{EvalID: eval.ID, Index: index}
	if stored != nil {
		resp.JobModifyIndex = stored.JobModifyIndex
		resp.JobVersion = stored.Version
	}
	return resp, nil
}

// validateJob adds the device checks the scheduler's allocator makes to
// the job's own validation.
func validateJob(job *api.Job) error {
	errs := []error{job.Validate()}
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			if t == nil || t.Resources == nil {
				continue
			}
			for _, d := range t.Resources.Devices {
				if err := devices.ValidateRequest(d); err != nil {
					errs = append(errs, fmt.Errorf("group %q: task %q: device %q: %w", tg.Name, t.Name, d.Name, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Server) jobStop(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "job")
	if err != nil {
		return nil, err
	}
	job, err := s.State().Snapshot().JobByID(id)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, errorf(http.StatusNotFound, "job %q not found", id)
	}
	eval := newEval(job, api.EvalTriggerJobDeregister)
	req := &fsm.JobDeregisterRequest{
		JobID: id, Purge: r.URL.Query().Get("purge") == "true",
		Eval: eval, SubmitTime: time.Now().UnixNano(),
	}
	index, err := s.raftApply(fsm.JobDeregisterRequestType, req)
	if err != nil {
		return nil, err
	}
	s.enqueueEvals([]*api.Evaluation{eval})
	return &api.JobRegisterResponse{EvalID: eval.ID, Index: index}, nil
}

func (s *Server) jobScale(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "job")
	if err != nil {
		return nil, err
	}
	var req api.JobScaleRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Count < 0 || req.Count > api.MaxCount {
		return nil, errorf(http.StatusBadRequest, "count %d is out of range: use 0 to %d", req.Count, api.MaxCount)
	}
	job, err := s.State().Snapshot().JobByID(id)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, errorf(http.StatusNotFound, "job %q not found", id)
	}
	scaled, err := copyJob(job)
	if err != nil {
		return nil, err
	}
	found := false
	for _, tg := range scaled.TaskGroups {
		if tg.Name == req.Group {
			tg.Count, found = req.Count, true
		}
	}
	if !found {
		return nil, errorf(http.StatusBadRequest, "job %q has no group %q", id, req.Group)
	}
	return s.registerJob(scaled, api.EvalTriggerScaling, true, job.JobModifyIndex)
}
