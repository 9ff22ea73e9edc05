package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/constellation-sched/constellation/fsm"
	"github.com/constellation-sched/constellation/internal/logging"
)

// ErrNotLeader is returned by writes when this server is not the leader and
// cannot forward the request. Nothing was applied: the write may be retried.
var ErrNotLeader = errors.New("no cluster leader")

// ErrOutcomeUnknown is returned by writes whose command reached Raft but
// whose commit was not confirmed: leadership was lost or the server shut
// down first. The write may or may not have been applied.
var ErrOutcomeUnknown = errors.New("write outcome unknown: leadership was lost before the write was confirmed; read the object back before retrying")

const raftApplyTimeout = 30 * time.Second

// setupRaft opens the Raft stores in the data dir and starts Raft with a
// TCP transport. It does not bootstrap.
func (s *Server) setupRaft() error {
	dir := filepath.Join(s.config.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create raft dir: %w", err)
	}
	path := filepath.Join(dir, "raft.db")
	store, err := raftboltdb.New(raftboltdb.Options{
		Path:        path,
		BoltOptions: &bbolt.Options{Timeout: 2 * time.Second},
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return fmt.Errorf("open raft log %s: another agent is using this data dir: stop it or pick another -data-dir", path)
	}
	if err != nil {
		return fmt.Errorf("open raft log: %w", err)
	}
	s.raftStore = store
	hlog := logging.HCLog(s.rootLogger, "raft")
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hlog)
	if err != nil {
		return fmt.Errorf("open raft snapshots: %w", err)
	}

	bind := net.JoinHostPort(s.config.BindAddr, strconv.Itoa(s.config.RaftPort))
	adv, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(s.config.AdvertiseAddr, strconv.Itoa(s.config.RaftPort)))
	if err != nil {
		return fmt.Errorf("resolve raft advertise address: %w", err)
	}
	trans, err := raft.NewTCPTransportWithLogger(bind, adv, 3, 10*time.Second, hlog)
	if err != nil {
		return fmt.Errorf("start raft transport on %s: %w", bind, err)
	}
	s.raftTransport = trans

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(s.config.Name)
	rc.Logger = hlog
	rc.NotifyCh = s.leaderCh
	rc.SnapshotThreshold = 4096
	rc.SnapshotInterval = 60 * time.Second
	rc.TrailingLogs = 4096

	existing, err := raft.HasExistingState(store, store, snaps)
	if err != nil {
		return fmt.Errorf("read raft state: %w", err)
	}
	s.raftExisting = existing

	r, err := raft.NewRaft(rc, s.fsm, store, store, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	s.raft = r
	return nil
}

// raftAddr is the address other servers reach this one's Raft at.
func (s *Server) raftAddr() string {
	return string(s.raftTransport.LocalAddr())
}

// raftApply commits one command and returns the index it was applied at.
// An error the FSM returned for the command is returned as is.
func (s *Server) raftApply(t fsm.MessageType, req any) (uint64, error) {
	buf, err := fsm.Encode(t, req)
	if err != nil {
		return 0, err
	}
	f := s.raft.Apply(buf, raftApplyTimeout)
	if err := f.Error(); err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
			return 0, fmt.Errorf("apply %s: %w", t, ErrNotLeader)
		case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrRaftShutdown):
			return 0, fmt.Errorf("apply %s: %w", t, ErrOutcomeUnknown)
		}
		return 0, fmt.Errorf("apply %s: %w", t, err)
	}
	if resp, ok := f.Response().(error); ok && resp != nil {
		return f.Index(), resp
	}
	return f.Index(), nil
}

// bootstrap starts a new cluster with the given servers (name to Raft
// address). Every server that sees the same set calls it with the same
// configuration, which Raft allows.
func (s *Server) bootstrap(servers map[string]string) error {
	var cfg raft.Configuration
	for name, addr := range servers {
		cfg.Servers = append(cfg.Servers, raft.Server{
			ID: raft.ServerID(name), Address: raft.ServerAddress(addr), Suffrage: raft.Voter,
		})
	}
	if err := s.raft.BootstrapCluster(cfg).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("bootstrap raft: %w", err)
	}
	s.logger.Info("raft bootstrapped", "servers", len(servers))
	return nil
}

// isLeader reports whether this server is the Raft leader.
func (s *Server) isLeader() bool {
	return s.raft.State() == raft.Leader
}

// leaderRaftAddr returns the leader's Raft address and ID, empty when none
// is known.
func (s *Server) leaderRaftAddr() (string, string) {
	addr, id := s.raft.LeaderWithID()
	return string(addr), string(id)
}

// consistentRead waits until this server, as leader, has confirmed its
// leadership and applied every entry committed when the read began.
func (s *Server) consistentRead() error {
	if !s.leaderReady() {
		return ErrNotLeader
	}
	commit := s.raft.CommitIndex()
	if err := s.raft.VerifyLeader().Error(); err != nil {
		return fmt.Errorf("verify leadership: %w", ErrNotLeader)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.raft.AppliedIndex() < commit {
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for the leader to apply committed entries")
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}
