package server

import (
	"context"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
)

// heartbeatTimers marks client nodes down, on the leader, when they miss
// their heartbeat TTL.
type heartbeatTimers struct {
	s *Server

	// mu guards the fields below.
	mu     sync.Mutex
	ctx    context.Context
	timers map[string]*time.Timer
}

func newHeartbeatTimers(s *Server) *heartbeatTimers {
	return &heartbeatTimers{s: s, timers: map[string]*time.Timer{}}
}

// initialize starts a timer for every node not already down. A new leader
// gives each node a full TTL plus a grace period, since it cannot know when
// the node last reached the old leader.
func (h *heartbeatTimers) initialize(ctx context.Context) {
	h.mu.Lock()
	h.ctx = ctx
	h.mu.Unlock()
	nodes, err := h.s.State().Snapshot().Nodes()
	if err != nil {
		h.s.logger.Error("read nodes for heartbeat timers", "error", err)
		return
	}
	for _, n := range nodes {
		if n.Status != api.NodeStatusDown {
			h.reset(n.ID, h.s.config.HeartbeatTTL*2+h.s.config.HeartbeatTTL/2)
		}
	}
}

// reset (re)starts a node's timer.
func (h *heartbeatTimers) reset(nodeID string, ttl time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx == nil || h.ctx.Err() != nil {
		return
	}
	if t, ok := h.timers[nodeID]; ok {
		t.Reset(ttl)
		return
	}
	h.timers[nodeID] = time.AfterFunc(ttl, func() { h.expire(nodeID) })
}

// remove drops a node's timer.
func (h *heartbeatTimers) remove(nodeID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t, ok := h.timers[nodeID]; ok {
		t.Stop()
		delete(h.timers, nodeID)
	}
}

// clear stops every timer.
func (h *heartbeatTimers) clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, t := range h.timers {
		t.Stop()
		delete(h.timers, id)
	}
	h.ctx = nil
}

// expire marks a node down and creates an evaluation for each job with
// allocations on it.
func (h *heartbeatTimers) expire(nodeID string) {
	h.mu.Lock()
	delete(h.timers, nodeID)
	active := h.ctx != nil && h.ctx.Err() == nil
	h.mu.Unlock()
	if !active || !h.s.isLeader() {
		return
	}
	h.s.logger.Info("node missed its heartbeat; marking it down", "node_id", nodeID)
	if err := h.s.setNodeStatus(nodeID, api.NodeStatusDown, "missed heartbeats"); err != nil {
		h.s.logger.Warn("mark node down", "node_id", nodeID, "error", err)
		h.reset(nodeID, time.Second)
	}
}

// heartbeatDeadline is how long the leader waits for a node's next
// heartbeat: the TTL clients are told, plus half of it as grace for a
// heartbeat slowed by a lossy network or forwarded through a follower.
func (s *Server) heartbeatDeadline() time.Duration {
	return s.config.HeartbeatTTL + s.config.HeartbeatTTL/2
}

// setNodeStatus commits a node status change together with evaluations for
// the jobs that have allocations on the node.
func (s *Server) setNodeStatus(nodeID, status, desc string) error {
	evals := s.nodeEvals(nodeID, api.EvalTriggerNodeUpdate)
	req := &fsm.NodeStatusUpdateRequest{
		NodeID: nodeID, Status: status, Description: desc,
		UpdatedAt: time.Now().UnixNano(), Evals: evals,
	}
	if _, err := s.raftApply(fsm.NodeStatusUpdateRequestType, req); err != nil {
		return err
	}
	s.enqueueEvals(evals)
	if status == api.NodeStatusReady {
		s.blocked.Unblock()
	}
	return nil
}
