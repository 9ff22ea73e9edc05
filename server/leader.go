package server

import (
	"context"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
)

// monitorLeadership starts the leader's loops when this server becomes
// leader and stops them when it loses leadership.
func (s *Server) monitorLeadership() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case isLeader := <-s.leaderCh:
			if isLeader {
				s.logger.Info("cluster leadership acquired")
				s.establishLeadership()
			} else {
				s.logger.Info("cluster leadership lost")
				s.revokeLeadership()
			}
		}
	}
}

// establishLeadership waits until every earlier entry is applied, then
// rebuilds the leader's state (broker, blocked evals, heartbeat timers)
// from the FSM and starts the leader's loops.
func (s *Server) establishLeadership() {
	s.revokeLeadership()
	if err := s.raft.Barrier(time.Minute).Error(); err != nil {
		s.logger.Error("barrier after election failed; stepping back", "error", err)
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan struct{})

	s.broker.SetEnabled(true)
	s.blocked.SetEnabled(true)
	s.restoreEvals()
	s.heartbeats.initialize(ctx)

	s.mu.Lock()
	s.mu.ready = true
	s.mu.cancelLeader = cancel
	s.mu.leaderDone = done
	s.mu.Unlock()

	go func() {
		defer close(done)
		s.runLeaderLoops(ctx)
	}()
}

// runLeaderLoops runs the scheduling workers, the plan applier and the
// blocked-eval unblocker until ctx ends.
func (s *Server) runLeaderLoops(ctx context.Context) {
	loops := []func(context.Context){s.plans.run, s.blocked.run, s.reapEvals}
	for i := 0; i < s.config.NumWorkers; i++ {
		w := newWorker(s, i)
		loops = append(loops, w.run)
	}
	done := make(chan struct{}, len(loops))
	for _, loop := range loops {
		go func() {
			defer func() { done <- struct{}{} }()
			loop(ctx)
		}()
	}
	for range loops {
		<-done
	}
}

// revokeLeadership stops the leader's loops and clears leader-only state.
func (s *Server) revokeLeadership() {
	s.mu.Lock()
	cancel, done := s.mu.cancelLeader, s.mu.leaderDone
	s.mu.ready = false
	s.mu.cancelLeader, s.mu.leaderDone = nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	s.broker.SetEnabled(false)
	s.blocked.SetEnabled(false)
	s.heartbeats.clear()
	<-done
}

// leaderReady reports whether this server is leader and has rebuilt its
// leader state, so that it may answer consistent reads and take writes.
func (s *Server) leaderReady() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.ready && s.isLeader()
}

// restoreEvals puts the FSM's pending evaluations into the broker and its
// blocked ones into the blocked set.
func (s *Server) restoreEvals() {
	evals, err := s.State().Snapshot().Evals()
	if err != nil {
		s.logger.Error("read evaluations to restore", "error", err)
		return
	}
	for _, eval := range evals {
		switch eval.Status {
		case api.EvalStatusPending:
			s.broker.Enqueue(eval)
		case api.EvalStatusBlocked:
			s.blocked.Block(eval)
		}
	}
}

// enqueueEvals hands newly committed pending evaluations to the broker.
func (s *Server) enqueueEvals(evals []*api.Evaluation) {
	for _, eval := range evals {
		if eval != nil && eval.Status == api.EvalStatusPending {
			s.broker.Enqueue(eval)
		}
	}
}

// reapEvals periodically deletes old terminal evaluations so that the
// state does not grow without end.
func (s *Server) reapEvals(ctx context.Context) {
	const keep = time.Hour
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		evals, err := s.State().Snapshot().Evals()
		if err != nil {
			continue
		}
		cutoff := time.Now().Add(-keep).UnixNano()
		var ids []string
		for _, e := range evals {
			terminal := e.Status == api.EvalStatusComplete || e.Status == api.EvalStatusFailed ||
				e.Status == api.EvalStatusCanceled
			if terminal && e.ModifyTime < cutoff {
				ids = append(ids, e.ID)
			}
		}
		if len(ids) > 0 {
			if _, err := s.raftApply(fsm.EvalDeleteRequestType, &fsm.EvalDeleteRequest{EvalIDs: ids}); err != nil {
				s.logger.Warn("reap evaluations", "error", err)
			}
		}
	}
}
