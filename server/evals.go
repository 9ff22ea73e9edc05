package server

import (
	"time"

	"github.com/google/uuid"

	"github.com/constellation-sched/constellation/api"
)

// newEval makes a pending evaluation of a job.
func newEval(job *api.Job, trigger string) *api.Evaluation {
	now := time.Now().UnixNano()
	return &api.Evaluation{
		ID:          uuid.NewString(),
		Priority:    job.Priority,
		Type:        job.Type,
		TriggeredBy: trigger,
		JobID:       job.ID,
		Status:      api.EvalStatusPending,
		CreateTime:  now,
		ModifyTime:  now,
	}
}

// nodeEvals makes an evaluation, tied to the node, for every job with a
// non-terminal allocation on it.
func (s *Server) nodeEvals(nodeID, trigger string) []*api.Evaluation {
	snap := s.State().Snapshot()
	allocs, err := snap.AllocsByNode(nodeID)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var evals []*api.Evaluation
	for _, a := range allocs {
		if a.Terminal() || seen[a.JobID] {
			continue
		}
		seen[a.JobID] = true
		job, _ := snap.JobByID(a.JobID)
		if job == nil {
			job = &api.Job{ID: a.JobID, Priority: 50, Type: api.JobTypeService}
		}
		e := newEval(job, trigger)
		e.NodeID = nodeID
		evals = append(evals, e)
	}
	return evals
}
