package server

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
)

func (s *Server) nodeList(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.blockingRead(w, r, []string{fsm.TableNodes}, func(snap *fsm.Snapshot) (any, error) {
		nodes, err := snap.Nodes()
		if err != nil {
			return nil, err
		}
		out := make([]*api.NodeListStub, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, &api.NodeListStub{
				ID: n.ID, Name: n.Name, Datacenter: n.Datacenter, Status: n.Status,
				Drain: n.Drain, Eligibility: n.Eligibility,
				CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex,
			})
		}
		sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
		return out, nil
	})
}

func (s *Server) nodeRead(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "node")
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, []string{fsm.TableNodes}, func(snap *fsm.Snapshot) (any, error) {
		return findNode(snap, id)
	})
}

func findNode(snap *fsm.Snapshot, id string) (*api.Node, error) {
	node, err := snap.NodeByPrefix(id)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, errorf(http.StatusNotFound, "node %q not found", id)
	}
	return node, nil
}

// nodeAllocs returns the full allocations of a node: what its client
// watches with blocking queries.
func (s *Server) nodeAllocs(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "node")
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, []string{fsm.TableAllocs}, func(snap *fsm.Snapshot) (any, error) {
		allocs, err := snap.AllocsByNode(id)
		if err != nil {
			return nil, err
		}
		if allocs == nil {
			allocs = []*api.Allocation{}
		}
		return allocs, nil
	})
}

func (s *Server) nodeDrain(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "node")
	if err != nil {
		return nil, err
	}
	var req api.NodeDrainRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	node, err := findNode(s.State().Snapshot(), id)
	if err != nil {
		return nil, err
	}
	evals := s.nodeEvals(node.ID, api.EvalTriggerNodeDrain)
	index, err := s.raftApply(fsm.NodeDrainRequestType, &fsm.NodeDrainRequest{
		NodeID: node.ID, Drain: req.Enable, UpdatedAt: time.Now().UnixNano(), Evals: evals,
	})
	if err != nil {
		return nil, err
	}
	s.enqueueEvals(evals)
	if !req.Enable {
		s.blocked.Unblock()
	}
	s.logger.Info("node drain changed", "node_id", node.ID, "drain", req.Enable)
	return map[string]any{"Index": index, "EvalIDs": evalIDs(evals)}, nil
}

func (s *Server) nodeEligibility(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "node")
	if err != nil {
		return nil, err
	}
	var req api.NodeEligibilityRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Eligibility != api.NodeEligible && req.Eligibility != api.NodeIneligible {
		return nil, errorf(http.StatusBadRequest, "eligibility %q is not known: use %q or %q",
			req.Eligibility, api.NodeEligible, api.NodeIneligible)
	}
	node, err := findNode(s.State().Snapshot(), id)
	if err != nil {
		return nil, err
	}
	index, err := s.raftApply(fsm.NodeEligibilityRequestType, &fsm.NodeEligibilityRequest{
		NodeID: node.ID, Eligibility: req.Eligibility,
	})
	if err != nil {
		return nil, err
	}
	if req.Eligibility == api.NodeEligible {
		s.blocked.Unblock()
	}
	return map[string]any{"Index": index}, nil
}

func evalIDs(evals []*api.Evaluation) []string {
	ids := make([]string, 0, len(evals))
	for _, e := range evals {
		ids = append(ids, e.ID)
	}
	return ids
}

// copyJob deep-copies a stored job so that it can be changed.
func copyJob(job *api.Job) (*api.Job, error) {
	buf, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	var out api.Job
	if err := json.Unmarshal(buf, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
