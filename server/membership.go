package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/raft"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/internal/gossip"
)

// monitorMembership bootstraps Raft once enough servers see each other,
// and, on the leader, keeps the Raft configuration in step with the
// servers in the gossip pool.
func (s *Server) monitorMembership() {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		s.reconcileMembers()
		select {
		case <-s.ctx.Done():
			return
		case <-s.members.Changed():
		case <-tick.C:
		}
	}
}

func (s *Server) reconcileMembers() {
	servers := s.aliveServers()
	if !s.raftBootstrapped() {
		s.maybeBootstrap(servers)
		return
	}
	if s.leaderReady() {
		s.addVoters(servers)
		s.removeDeadServers()
	}
}

// aliveServers maps the alive server members to their Raft addresses.
func (s *Server) aliveServers() map[string]*api.Member {
	out := map[string]*api.Member{}
	for _, m := range s.members.Members() {
		if m.Role == gossip.RoleServer && m.Status == gossip.StatusAlive && m.RaftAddr != "" {
			out[m.Name] = m
		}
	}
	return out
}

// raftBootstrapped reports whether Raft has a configuration, from an
// earlier run or a bootstrap.
func (s *Server) raftBootstrapped() bool {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return true
	}
	return len(f.Configuration().Servers) > 0
}

// maybeBootstrap bootstraps Raft when bootstrap_expect servers are alive
// and none of them already belongs to a cluster.
func (s *Server) maybeBootstrap(servers map[string]*api.Member) {
	if s.raftExisting || len(servers) < s.config.BootstrapExpect {
		return
	}
	for _, m := range servers {
		if exp, _ := strconv.Atoi(m.Tags["bootstrap_expect"]); exp != s.config.BootstrapExpect {
			s.logger.Warn("server has a different bootstrap_expect; not bootstrapping",
				"member", m.Name, "theirs", exp, "ours", s.config.BootstrapExpect)
			return
		}
		if m.Name != s.config.Name && s.peerHasCluster(m) {
			s.logger.Info("found an existing cluster; waiting to be added to it", "member", m.Name)
			return
		}
	}
	addrs := map[string]string{}
	for name, m := range servers {
		addrs[name] = m.RaftAddr
	}
	if err := s.bootstrap(addrs); err != nil {
		s.logger.Error("bootstrap failed", "error", err)
	}
}

// peerHasCluster asks another server whether it already has Raft peers.
func (s *Server) peerHasCluster(m *api.Member) bool {
	if m.HTTPAddr == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	defer cancel()
	c := api.NewClient(m.HTTPAddr).WithHTTPClient(&http.Client{Timeout: 2 * time.Second})
	var peers []string
	if _, err := c.Do(ctx, http.MethodGet, "/v1/status/peers", &api.QueryOptions{Stale: true}, nil, &peers); err != nil {
		return false
	}
	return len(peers) > 0
}

// addVoters adds alive servers missing from the Raft configuration.
func (s *Server) addVoters(servers map[string]*api.Member) {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	known := map[raft.ServerID]raft.ServerAddress{}
	for _, srv := range f.Configuration().Servers {
		known[srv.ID] = srv.Address
	}
	for name, m := range servers {
		if addr, ok := known[raft.ServerID(name)]; ok && string(addr) == m.RaftAddr {
			continue
		}
		s.logger.Info("adding server to raft", "member", name, "raft_addr", m.RaftAddr)
		if err := s.raft.AddVoter(raft.ServerID(name), raft.ServerAddress(m.RaftAddr), 0, 10*time.Second).Error(); err != nil {
			s.logger.Warn("add raft voter", "member", name, "error", err)
		}
	}
}

// removeDeadServers removes servers gossip has declared failed or left
// for longer than the grace period, never below bootstrap_expect voters.
func (s *Server) removeDeadServers() {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	voters := len(f.Configuration().Servers)
	status := map[string]string{}
	for _, m := range s.members.Members() {
		if m.Role == gossip.RoleServer {
			status[m.Name] = m.Status
		}
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, srv := range f.Configuration().Servers {
		name := string(srv.ID)
		st, seen := status[name]
		if !seen || st == gossip.StatusAlive || name == s.config.Name {
			delete(s.mu.failedSince, name)
			continue
		}
		since, ok := s.mu.failedSince[name]
		if !ok {
			s.mu.failedSince[name] = now
			continue
		}
		if now.Sub(since) < s.config.DeadServerGrace && st != gossip.StatusLeft {
			continue
		}
		if voters-1 < s.config.BootstrapExpect {
			continue
		}
		s.logger.Info("removing dead server from raft", "member", name, "status", st)
		if err := s.raft.RemoveServer(srv.ID, 0, 10*time.Second).Error(); err != nil {
			s.logger.Warn("remove raft server", "member", name, "error", err)
			continue
		}
		voters--
		delete(s.mu.failedSince, name)
	}
}

// leaderHTTPAddr returns the HTTP address of the current leader, from the
// gossip pool; empty when no leader is known.
func (s *Server) leaderHTTPAddr() string {
	_, id := s.leaderRaftAddr()
	if id == "" {
		return ""
	}
	for _, m := range s.members.Members() {
		if m.Name == id && m.Status == gossip.StatusAlive {
			return m.HTTPAddr
		}
	}
	return ""
}

// serverHTTPAddrs lists the HTTP addresses of the alive servers.
func (s *Server) serverHTTPAddrs() []string {
	var out []string
	for _, m := range s.aliveServers() {
		if m.HTTPAddr != "" {
			out = append(out, m.HTTPAddr)
		}
	}
	return out
}
