//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// Options shape a cluster.
type Options struct {
	// Servers is the number of server agents (3, or 5).
	Servers int
	// Clients is the number of client agents.
	Clients int
	// HeartbeatTTL is the servers' client heartbeat TTL, as a Go duration.
	HeartbeatTTL string
}

// defaultOptions are three servers and three clients; CHAOS_SERVERS=5
// runs five servers.
func defaultOptions() Options {
	opts := Options{Servers: 3, Clients: 3, HeartbeatTTL: "10s"}
	if os.Getenv("CHAOS_SERVERS") == "5" {
		opts.Servers = 5
	}
	return opts
}

// Cluster is a set of agents, each in its own container on a user-defined
// Docker network created for it. It removes everything it created when
// its test ends.
type Cluster struct {
	t       *testing.T
	name    string
	network string
	subnet  string
	agents  []*Agent
}

// NewCluster creates the network and starts the agents: servers s1..sN and
// clients c1..cM, every server joining every other. It does not wait for
// a leader; see WaitLeader.
func NewCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := &Cluster{t: t, name: strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))}
	c.network = runPrefix + "-" + c.name
	t.Cleanup(c.destroy)

	if err := c.createNetwork(ctx); err != nil {
		t.Fatalf("create network: %v", err)
	}
	base := strings.TrimSuffix(c.subnet, "0/24")
	for i := 1; i <= opts.Servers; i++ {
		c.agents = append(c.agents, newAgent(fmt.Sprintf("s%d", i), roleServer, fmt.Sprintf("%s%d", base, 10+i)))
	}
	for i := 1; i <= opts.Clients; i++ {
		c.agents = append(c.agents, newAgent(fmt.Sprintf("c%d", i), roleClient, fmt.Sprintf("%s%d", base, 30+i)))
	}
	for _, a := range c.agents {
		if err := c.runAgent(ctx, a, opts); err != nil {
			t.Fatalf("start agent %s: %v", a.Name, err)
		}
	}
	return c
}

// createNetwork creates the run's bridge network on a random /24, trying
// another one when the address pool overlaps an existing network.
func (c *Cluster) createNetwork(ctx context.Context) error {
	var err error
	for range 20 {
		c.subnet = fmt.Sprintf("10.%d.%d.0/24", 200+rand.IntN(50), rand.IntN(256))
		args := append([]string{"network", "create", "--driver", "bridge", "--subnet", c.subnet}, runLabels()...)
		_, err = docker(ctx, append(args, c.network)...)
		if err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "overlap") {
			return err
		}
	}
	return err
}

// runAgent creates and starts one agent's container.
func (c *Cluster) runAgent(ctx context.Context, a *Agent, opts Options) error {
	args := []string{
		"run", "-d", "--name", a.Container, "--hostname", a.Name,
		"--network", c.network, "--ip", a.IP, "--volume", "/data",
	}
	args = append(args, runLabels()...)
	args = append(args, imageName(),
		"agent", "-name", a.Name, "-data-dir", "/data", "-bind", "0.0.0.0", "-advertise", a.IP)
	if a.Role == roleServer {
		args = append(args, "-server", "-bootstrap-expect", fmt.Sprint(opts.Servers),
			"-heartbeat-ttl", opts.HeartbeatTTL)
	} else {
		args = append(args, "-client")
	}
	for _, s := range c.Servers() {
		if s != a {
			args = append(args, "-join", s.IP)
		}
	}
	_, err := docker(ctx, args...)
	return err
}

// destroy saves the agents' logs when the test failed, then removes the
// containers, their volumes and the network.
func (c *Cluster) destroy() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if c.t.Failed() {
		c.saveLogs(ctx)
	}
	for _, a := range c.agents {
		_, _ = docker(ctx, "rm", "-fv", a.Container)
	}
	_, _ = docker(ctx, "network", "rm", c.network)
}

// saveLogs writes every agent's output under e2e/out/<test>/.
func (c *Cluster) saveLogs(ctx context.Context) {
	dir := outDir(c.t)
	for _, a := range c.agents {
		path := filepath.Join(dir, a.Name+".log")
		if err := os.WriteFile(path, []byte(a.logs(ctx)), 0o644); err != nil {
			c.t.Logf("save %s log: %v", a.Name, err)
		}
	}
	c.t.Logf("agent logs written to %s", dir)
}

// Servers returns the server agents.
func (c *Cluster) Servers() []*Agent { return c.byRole(roleServer) }

// Clients returns the client agents.
func (c *Cluster) Clients() []*Agent { return c.byRole(roleClient) }

func (c *Cluster) byRole(role string) []*Agent {
	var out []*Agent
	for _, a := range c.agents {
		if a.Role == role {
			out = append(out, a)
		}
	}
	return out
}

// serverByRaftAddr returns the server advertising addr, nil if none.
func (c *Cluster) serverByRaftAddr(addr string) *Agent {
	for _, s := range c.Servers() {
		if s.RaftAddr() == addr {
			return s
		}
	}
	return nil
}

// Others returns the servers other than those given.
func (c *Cluster) Others(except ...*Agent) []*Agent {
	var out []*Agent
	for _, s := range c.Servers() {
		skip := false
		for _, e := range except {
			skip = skip || s == e
		}
		if !skip {
			out = append(out, s)
		}
	}
	return out
}

// ErrNoLeader is returned by WaitLeader when the servers did not agree on
// a leader that serves linearizable reads before the deadline.
var ErrNoLeader = errors.New("no leader agreed on by a majority of the servers")

// WaitLeader polls the given servers until a majority of them name the
// same leader, the leader is one of them and it answers a linearizable
// read. It returns that leader.
func (c *Cluster) WaitLeader(ctx context.Context, among []*Agent) (*Agent, error) {
	for {
		if l := c.agreedLeader(ctx, among); l != nil {
			return l, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %v", ErrNoLeader, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// agreedLeader returns the leader a majority of among names, when it is
// in among and serves a linearizable read; nil otherwise.
func (c *Cluster) agreedLeader(ctx context.Context, among []*Agent) *Agent {
	votes := map[string]int{}
	for _, s := range among {
		if addr, err := s.API().Leader(ctx); err == nil && addr != "" {
			votes[addr]++
		}
	}
	for addr, n := range votes {
		l := c.serverByRaftAddr(addr)
		if n*2 <= len(c.Servers()) || l == nil || !contains(among, l) {
			continue
		}
		if _, err := l.API().RaftConfiguration(ctx); err == nil {
			return l
		}
	}
	return nil
}

// LeaderSeenBy returns the leader a server names, nil when none.
func (c *Cluster) LeaderSeenBy(ctx context.Context, s *Agent) *Agent {
	addr, err := s.API().Leader(ctx)
	if err != nil || addr == "" {
		return nil
	}
	return c.serverByRaftAddr(addr)
}

// WaitNodesReady polls until n client nodes are ready.
func (c *Cluster) WaitNodesReady(ctx context.Context, n int) error {
	return poll(ctx, 250*time.Millisecond, func() error {
		nodes, err := c.readNodes(ctx)
		if err != nil {
			return err
		}
		ready := 0
		for _, nd := range nodes {
			if nd.Status == api.NodeStatusReady {
				ready++
			}
		}
		if ready < n {
			return fmt.Errorf("%d of %d client nodes ready", ready, n)
		}
		return nil
	})
}

// readNodes lists nodes through any server that answers.
func (c *Cluster) readNodes(ctx context.Context) ([]*api.NodeListStub, error) {
	var lastErr error
	for _, s := range c.Servers() {
		nodes, _, err := s.API().Nodes(ctx, nil)
		if err == nil {
			return nodes, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("list nodes: %w", lastErr)
}

// poll calls f every interval until it returns nil or ctx ends; the error
// then carries f's last error.
func poll(ctx context.Context, interval time.Duration, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}

func contains(list []*Agent, a *Agent) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// outDir returns e2e/out/<test name>/, created.
func outDir(t *testing.T) string {
	dir := filepath.Join("out", strings.NewReplacer("/", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("create %s: %v", dir, err)
	}
	return dir
}
