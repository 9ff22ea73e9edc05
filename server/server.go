package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
)

// Membership is the server's view of the gossip pool.
type Membership interface {
	// Members returns every member seen, failed and left ones included.
	Members() []*api.Member
	// Changed receives when membership changes.
	Changed() <-chan struct{}
}

// Server is one server agent.
type Server struct {
	config Config
	logger *slog.Logger
	// rootLogger is the agent's logger without this package's component,
	// for the libraries that add their own.
	rootLogger *slog.Logger

	fsm           *fsm.FSM
	raft          *raft.Raft
	raftStore     *raftboltdb.BoltStore
	raftTransport *raft.NetworkTransport
	raftExisting  bool
	leaderCh      chan bool

	members Membership
	// localClient serves allocation logs for the client agent running in
	// this process, if any; localNodeID is that client's node.
	localClient http.Handler
	localNodeID string

	broker     *evalBroker
	blocked    *blockedEvals
	plans      *planApplier
	heartbeats *heartbeatTimers
	telemetry  *telemetryStore

	// mu guards the leadership fields below.
	mu struct {
		sync.Mutex
		ready        bool
		cancelLeader context.CancelFunc
		leaderDone   chan struct{}
		failedSince  map[string]time.Time
	}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New opens the server's Raft state in its data dir and starts Raft. Call
// Start to join the cluster's leadership and membership loops.
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		config:     cfg,
		logger:     logger.With("component", "server"),
		rootLogger: logger,
		fsm:        fsm.New(logger.With("component", "fsm")),
		leaderCh:   make(chan bool, 16),
	}
	s.mu.failedSince = map[string]time.Time{}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.broker = newEvalBroker()
	s.blocked = newBlockedEvals(s)
	s.plans = newPlanApplier(s)
	s.heartbeats = newHeartbeatTimers(s)
	s.telemetry = newTelemetryStore()
	if err := s.setupRaft(); err != nil {
		s.closeRaftStores()
		return nil, err
	}
	return s, nil
}

// RaftAddr is the address this server's Raft listens on, as advertised.
func (s *Server) RaftAddr() string { return s.raftAddr() }

// State returns the server's copy of the cluster state.
func (s *Server) State() *fsm.StateStore { return s.fsm.State() }

// SetLocalClient lets the server answer log requests for allocations of a
// client agent in the same process without a network hop.
func (s *Server) SetLocalClient(nodeID string, h http.Handler) {
	s.localNodeID, s.localClient = nodeID, h
}

// Start runs the leadership and membership loops. members is the gossip
// pool the server bootstraps Raft from and finds the leader's HTTP address
// in.
func (s *Server) Start(members Membership) {
	s.members = members
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.monitorLeadership() }()
	go func() { defer s.wg.Done(); s.monitorMembership() }()
}

// Leave prepares a graceful stop: a leader hands its leadership to another
// voter first, so that the cluster does not wait out an election timeout.
func (s *Server) Leave() {
	if !s.isLeader() {
		return
	}
	f := s.raft.GetConfiguration()
	if f.Error() != nil || len(f.Configuration().Servers) < 2 {
		return
	}
	s.logger.Info("handing leadership over before stopping")
	if err := s.raft.LeadershipTransfer().Error(); err != nil {
		s.logger.Warn("leadership transfer failed", "error", err)
	}
}

// Shutdown stops the leader's loops and Raft, and closes the stores.
func (s *Server) Shutdown() error {
	s.cancel()
	s.revokeLeadership()
	s.wg.Wait()
	var errs []error
	if s.raft != nil {
		errs = append(errs, s.raft.Shutdown().Error())
	}
	if s.raftTransport != nil {
		errs = append(errs, s.raftTransport.Close())
	}
	errs = append(errs, s.closeRaftStores())
	return errors.Join(errs...)
}

func (s *Server) closeRaftStores() error {
	if s.raftStore == nil {
		return nil
	}
	if err := s.raftStore.Close(); err != nil {
		return fmt.Errorf("close raft store: %w", err)
	}
	return nil
}

// Stats describes the server for /v1/agent/self.
func (s *Server) Stats() map[string]string {
	st := s.raft.Stats()
	out := map[string]string{
		"raft_state":         st["state"],
		"raft_term":          st["term"],
		"raft_commit_index":  st["commit_index"],
		"raft_applied_index": st["applied_index"],
		"raft_last_contact":  st["last_contact"],
		"raft_num_peers":     st["num_peers"],
	}
	s.mu.Lock()
	if s.mu.ready {
		out["broker_ready"] = fmt.Sprint(s.broker.Len())
		out["blocked_evals"] = fmt.Sprint(s.blocked.Len())
	}
	s.mu.Unlock()
	return out
}
