package gossip

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/internal/logging"
)

// Roles a member can have.
const (
	RoleServer = "server"
	RoleClient = "client"
)

// Member statuses.
const (
	StatusAlive  = "alive"
	StatusLeft   = "left"
	StatusFailed = "failed"
)

// Meta is what a member tells the pool about itself.
type Meta struct {
	Role       string `json:"r"`
	Datacenter string `json:"dc,omitempty"`
	NodeID     string `json:"id,omitempty"`
	HTTPAddr   string `json:"h,omitempty"`
	RaftAddr   string `json:"ra,omitempty"`
	// Bootstrap is the server's bootstrap_expect.
	Bootstrap int `json:"be,omitempty"`
}

// Config sets up a pool member.
type Config struct {
	Name          string
	BindAddr      string
	BindPort      int
	AdvertiseAddr string
	Meta          Meta
	// Fast shortens probe intervals and suspicion for loopback and test
	// clusters.
	Fast bool
}

// Pool is this agent's view of the gossip pool.
type Pool struct {
	ml     *memberlist.Memberlist
	meta   []byte
	logger *slog.Logger
	notify chan struct{}

	// mu guards members.
	mu      sync.Mutex
	members map[string]*api.Member
}

// New starts a pool member listening on cfg's bind address.
func New(cfg Config, logger *slog.Logger) (*Pool, error) {
	meta, err := json.Marshal(cfg.Meta)
	if err != nil {
		return nil, fmt.Errorf("encode gossip meta: %w", err)
	}
	p := &Pool{
		meta:    meta,
		logger:  logger,
		notify:  make(chan struct{}, 1),
		members: map[string]*api.Member{},
	}
	mc := memberlist.DefaultLANConfig()
	if cfg.Fast {
		mc = memberlist.DefaultLocalConfig()
	}
	mc.Name = cfg.Name
	mc.BindAddr = cfg.BindAddr
	mc.BindPort = cfg.BindPort
	mc.AdvertisePort = cfg.BindPort
	if cfg.AdvertiseAddr != "" {
		mc.AdvertiseAddr = cfg.AdvertiseAddr
	}
	mc.Delegate = p
	mc.Events = p
	mc.Logger = logging.StdLog(logger.With("component", "gossip"))
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("start gossip on %s:%d: %w", cfg.BindAddr, cfg.BindPort, err)
	}
	p.ml = ml
	return p, nil
}

// Join contacts the given host:port addresses and merges their view of the
// pool. It succeeds when at least one answered.
func (p *Pool) Join(addrs []string) (int, error) {
	n, err := p.ml.Join(addrs)
	if n > 0 {
		return n, nil
	}
	return n, fmt.Errorf("join gossip pool via %v: %w", addrs, err)
}

// Changed returns a channel that receives when membership changes. Changes
// are coalesced: read Members after each receive.
func (p *Pool) Changed() <-chan struct{} { return p.notify }

// Members returns every member seen, failed and left ones included, sorted
// by name.
func (p *Pool) Members() []*api.Member {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*api.Member, 0, len(p.members))
	for _, m := range p.members {
		c := *m
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Servers returns the alive server members.
func (p *Pool) Servers() []*api.Member {
	var out []*api.Member
	for _, m := range p.Members() {
		if m.Role == RoleServer && m.Status == StatusAlive {
			out = append(out, m)
		}
	}
	return out
}

// LocalName is this member's name in the pool.
func (p *Pool) LocalName() string { return p.ml.LocalNode().Name }

// Leave announces a graceful departure, then stops gossip.
func (p *Pool) Leave(timeout time.Duration) error {
	err := p.ml.Leave(timeout)
	if serr := p.ml.Shutdown(); err == nil {
		err = serr
	}
	return err
}

// Shutdown stops gossip without announcing it, as a crash would.
func (p *Pool) Shutdown() error { return p.ml.Shutdown() }

// NodeMeta implements memberlist.Delegate.
func (p *Pool) NodeMeta(limit int) []byte {
	if len(p.meta) > limit {
		panic(fmt.Sprintf("gossip meta of %d bytes exceeds limit %d", len(p.meta), limit))
	}
	return p.meta
}

// NotifyMsg implements memberlist.Delegate; the pool sends no user messages.
func (p *Pool) NotifyMsg([]byte) {}

// GetBroadcasts implements memberlist.Delegate.
func (p *Pool) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState implements memberlist.Delegate.
func (p *Pool) LocalState(bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate.
func (p *Pool) MergeRemoteState([]byte, bool) {}

// NotifyJoin implements memberlist.EventDelegate.
func (p *Pool) NotifyJoin(n *memberlist.Node) { p.record(n, StatusAlive) }

// NotifyUpdate implements memberlist.EventDelegate.
func (p *Pool) NotifyUpdate(n *memberlist.Node) { p.record(n, StatusAlive) }

// NotifyLeave implements memberlist.EventDelegate.
func (p *Pool) NotifyLeave(n *memberlist.Node) {
	status := StatusFailed
	if n.State == memberlist.StateLeft {
		status = StatusLeft
	}
	p.record(n, status)
}

func (p *Pool) record(n *memberlist.Node, status string) {
	var meta Meta
	if err := json.Unmarshal(n.Meta, &meta); err != nil {
		p.logger.Warn("ignoring gossip member with unreadable meta", "member", n.Name, "error", err)
		return
	}
	m := &api.Member{
		Name: n.Name, Addr: n.Addr.String(), Port: int(n.Port),
		Role: meta.Role, Status: status, HTTPAddr: meta.HTTPAddr,
		RaftAddr: meta.RaftAddr, NodeID: meta.NodeID,
		Tags: map[string]string{
			"dc": meta.Datacenter, "bootstrap_expect": strconv.Itoa(meta.Bootstrap),
			"gossip": net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))),
		},
	}
	p.mu.Lock()
	old := p.members[n.Name]
	p.members[n.Name] = m
	p.mu.Unlock()
	if old == nil || old.Status != status {
		p.logger.Info("gossip member changed", "member", n.Name, "role", meta.Role, "status", status)
	}
	select {
	case p.notify <- struct{}{}:
	default:
	}
}
