package server

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"reflect"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
)

// maxAllocUpdates bounds the allocations one client report may carry.
const maxAllocUpdates = 1000

// clientRegister stores a client's node, marks it ready and starts its
// heartbeat timer.
func (s *Server) clientRegister(_ http.ResponseWriter, r *http.Request) (any, error) {
	var node api.Node
	if err := decodeBody(r, &node); err != nil {
		return nil, err
	}
	if err := api.ValidateID("node", node.ID); err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if node.Resources == nil || node.Resources.CPU < 0 || node.Resources.MemoryMB < 0 {
		return nil, errorf(http.StatusBadRequest, "node %q must report non-negative resources", node.ID)
	}
	if node.Eligibility == "" {
		node.Eligibility = api.NodeEligible
	}
	node.Status = api.NodeStatusReady
	node.StatusUpdatedAt = time.Now().UnixNano()

	existing, err := s.State().Snapshot().NodeByID(node.ID)
	if err != nil {
		return nil, err
	}
	var evals []*api.Evaluation
	capacityChanged := existing == nil || existing.Status != api.NodeStatusReady ||
		!reflect.DeepEqual(existing.Resources, node.Resources)
	if existing != nil && !reflect.DeepEqual(existing.Resources, node.Resources) {
		evals = s.nodeEvals(node.ID, api.EvalTriggerDeviceHealth)
	}
	index, err := s.raftApply(fsm.NodeRegisterRequestType, &fsm.NodeRegisterRequest{Node: &node, Evals: evals})
	if err != nil {
		return nil, err
	}
	s.enqueueEvals(evals)
	if capacityChanged {
		s.blocked.Unblock()
	}
	if existing == nil || existing.Status != api.NodeStatusReady {
		s.logger.Info("node registered", "node_id", node.ID, "node_name", node.Name)
	}
	s.heartbeats.reset(node.ID, s.heartbeatDeadline())
	return s.heartbeatResponse(index), nil
}

// clientHeartbeat keeps a node alive; a node that was marked down is made
// ready again.
func (s *Server) clientHeartbeat(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "node")
	if err != nil {
		return nil, err
	}
	node, err := s.State().Snapshot().NodeByID(id)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, errorf(http.StatusNotFound, "node %q is not registered: register it first", id)
	}
	if node.Status != api.NodeStatusReady {
		s.logger.Info("node heartbeat resumed; marking it ready", "node_id", id)
		if err := s.setNodeStatus(id, api.NodeStatusReady, "heartbeat resumed"); err != nil {
			return nil, err
		}
	}
	s.heartbeats.reset(id, s.heartbeatDeadline())
	return s.heartbeatResponse(s.State().Snapshot().LatestIndex()), nil
}

func (s *Server) heartbeatResponse(index uint64) *api.NodeRegisterResponse {
	return &api.NodeRegisterResponse{
		HeartbeatTTL: int64(s.config.HeartbeatTTL),
		Index:        index,
		Servers:      s.serverHTTPAddrs(),
	}
}

// clientAllocUpdate commits what a client reports of its allocations, with
// an evaluation for each job whose allocation failed or, for a service,
// finished.
func (s *Server) clientAllocUpdate(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req api.AllocUpdateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if len(req.Allocs) > maxAllocUpdates {
		return nil, errorf(http.StatusRequestEntityTooLarge, "%d allocation updates in one request: send at most %d", len(req.Allocs), maxAllocUpdates)
	}
	snap := s.State().Snapshot()
	var evals []*api.Evaluation
	terminal := false
	seen := map[string]bool{}
	for _, a := range req.Allocs {
		if a == nil || a.ID == "" {
			return nil, errorf(http.StatusBadRequest, "allocation update without an ID")
		}
		stored, err := snap.AllocByID(a.ID)
		if err != nil || stored == nil || stored.ClientTerminal() {
			continue
		}
		if !a.ClientTerminal() {
			continue
		}
		terminal = true
		if stored.DesiredStatus != api.AllocDesiredRun || seen[stored.JobID] {
			continue
		}
		job, _ := snap.JobByID(stored.JobID)
		if job == nil || job.Stop {
			continue
		}
		if a.ClientStatus == api.AllocClientFailed || job.Type == api.JobTypeService {
			seen[stored.JobID] = true
			evals = append(evals, newEval(job, api.EvalTriggerAllocFailure))
		}
	}
	index, err := s.raftApply(fsm.AllocClientUpdateRequestType, &fsm.AllocClientUpdateRequest{
		Allocs: req.Allocs, Evals: evals, Timestamp: time.Now().UnixNano(),
	})
	if err != nil {
		return nil, err
	}
	s.enqueueEvals(evals)
	if terminal {
		s.blocked.Unblock()
	}
	return map[string]any{"Index": index}, nil
}

// clientLogs serves a task's log from the client that runs it: from the
// client in this process, or through a proxy to the node's agent.
func (s *Server) clientLogs(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "allocation")
	if err != nil {
		writeError(w, err)
		return
	}
	snap := s.State().Snapshot()
	alloc, err := snap.AllocByPrefix(id)
	if err != nil || alloc == nil {
		if err == nil {
			err = errorf(http.StatusNotFound, "allocation %q not found", id)
		}
		writeError(w, err)
		return
	}
	if s.localClient != nil && alloc.NodeID == s.localNodeID {
		r.SetPathValue("id", alloc.ID)
		r.URL.Path = "/v1/client/fs/logs/" + alloc.ID
		s.localClient.ServeHTTP(w, r)
		return
	}
	node, _ := snap.NodeByID(alloc.NodeID)
	if node == nil || node.HTTPAddr == "" || r.Header.Get(api.HeaderForwarded) != "" {
		writeError(w, errorf(http.StatusBadGateway, "the node of allocation %s cannot be reached for logs", alloc.ID))
		return
	}
	target, _ := url.Parse("http://" + node.HTTPAddr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		writeError(w, errorf(http.StatusBadGateway, "fetch logs from node %s at %s: %v", node.Name, node.HTTPAddr, err))
	}
	r.URL.Path = "/v1/client/fs/logs/" + alloc.ID
	r.Header.Set(api.HeaderForwarded, s.config.Name)
	proxy.ServeHTTP(w, r)
}
