package server

import (
	"net/http"
	"sort"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
	"github.com/constellation-sched/constellation/scheduler/devices"
)

// Version is the agent's version, reported by /v1/agent/self.
var Version = "0.1.0"

func allocStubs(allocs []*api.Allocation) []*api.AllocListStub {
	out := make([]*api.AllocListStub, 0, len(allocs))
	for _, a := range allocs {
		out = append(out, a.Stub())
	}
	sort.Slice(out, func(i, k int) bool { return out[i].CreateIndex < out[k].CreateIndex })
	return out
}

func (s *Server) allocList(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.blockingRead(w, r, []string{fsm.TableAllocs}, func(snap *fsm.Snapshot) (any, error) {
		allocs, err := snap.Allocs()
		if err != nil {
			return nil, err
		}
		return allocStubs(allocs), nil
	})
}

func (s *Server) allocRead(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "allocation")
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, []string{fsm.TableAllocs}, func(snap *fsm.Snapshot) (any, error) {
		alloc, err := snap.AllocByPrefix(id)
		if err != nil {
			return nil, err
		}
		if alloc == nil {
			return nil, errorf(http.StatusNotFound, "allocation %q not found", id)
		}
		return alloc, nil
	})
}

func (s *Server) evalList(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.blockingRead(w, r, []string{fsm.TableEvals}, func(snap *fsm.Snapshot) (any, error) {
		evals, err := snap.Evals()
		if err != nil {
			return nil, err
		}
		sort.Slice(evals, func(i, k int) bool { return evals[i].CreateIndex < evals[k].CreateIndex })
		return evals, nil
	})
}

func (s *Server) evalRead(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := pathID(r, "evaluation")
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, []string{fsm.TableEvals}, func(snap *fsm.Snapshot) (any, error) {
		eval, err := snap.EvalByID(id)
		if err != nil {
			return nil, err
		}
		if eval == nil {
			return nil, errorf(http.StatusNotFound, "evaluation %q not found", id)
		}
		return eval, nil
	})
}

// gpuList lists every device instance in the cluster with the allocations
// using it.
func (s *Server) gpuList(w http.ResponseWriter, r *http.Request) (any, error) {
	tables := []string{fsm.TableNodes, fsm.TableAllocs}
	return s.blockingRead(w, r, tables, func(snap *fsm.Snapshot) (any, error) {
		nodes, err := snap.Nodes()
		if err != nil {
			return nil, err
		}
		out := []*api.GPUStatus{}
		for _, n := range nodes {
			if n.Resources == nil {
				continue
			}
			allocs, err := snap.AllocsByNode(n.ID)
			if err != nil {
				return nil, err
			}
			var live []*api.Allocation
			for _, a := range allocs {
				if !a.Terminal() {
					live = append(live, a)
				}
			}
			usage := devices.Usage(n, live)
			for _, g := range n.Resources.Devices {
				for _, inst := range g.Instances {
					out = append(out, &api.GPUStatus{
						NodeID: n.ID, NodeName: n.Name, Vendor: g.Vendor, Model: g.Model,
						ID: inst.ID, ParentID: inst.ParentID, MIGProfile: inst.MIGProfile,
						MemoryMB: inst.MemoryMB, Healthy: inst.Healthy,
						Mocked: n.Resources.DevicesMocked, Allocations: usage[inst.ID],
					})
				}
			}
		}
		return out, nil
	})
}

func (s *Server) statusLeader(_ http.ResponseWriter, _ *http.Request) (any, error) {
	addr, _ := s.leaderRaftAddr()
	return addr, nil
}

func (s *Server) statusPeers(_ http.ResponseWriter, _ *http.Request) (any, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	peers := []string{}
	for _, srv := range f.Configuration().Servers {
		peers = append(peers, string(srv.Address))
	}
	return peers, nil
}

func (s *Server) agentSelf(_ http.ResponseWriter, _ *http.Request) (any, error) {
	leader, _ := s.leaderRaftAddr()
	return &api.AgentSelf{
		Name: s.config.Name, Server: true, Client: s.localClient != nil,
		NodeID: s.localNodeID, HTTPAddr: s.config.HTTPAddr, RaftAddr: s.raftAddr(),
		Leader: leader, Version: Version, Stats: s.Stats(),
	}, nil
}

func (s *Server) agentMembers(_ http.ResponseWriter, _ *http.Request) (any, error) {
	return s.members.Members(), nil
}

func (s *Server) raftConfiguration(_ http.ResponseWriter, _ *http.Request) (any, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	leader, _ := s.leaderRaftAddr()
	out := &api.RaftConfiguration{Index: f.Index()}
	for _, srv := range f.Configuration().Servers {
		out.Servers = append(out.Servers, &api.RaftServer{
			ID: string(srv.ID), Address: string(srv.Address),
			Suffrage: srv.Suffrage.String(), Leader: string(srv.Address) == leader,
		})
	}
	return out, nil
}
