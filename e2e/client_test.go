//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// serviceCount is the count of the service group scenario 4 runs.
const serviceCount = 3

// TestChaos_ClientKilledWhileRunning kills the client that runs the most
// allocations of a service, waits for them to be rescheduled, then brings
// the client back on its data directory.
func TestChaos_ClientKilledWhileRunning(t *testing.T) {
	r := newRun(t, "4 client kill -9", "docker kill -s KILL on the busiest client, restart after rescheduling")
	ctx := context.Background()
	r.w.Users = 3
	r.w.Start()
	r.mustRegister(serviceJob("svc"))
	lead := r.c.Servers()[0]
	require.NoError(t, waitRunning(lead, "svc", nil, 2*time.Minute), "the service never reached its count")

	victim, oldAllocs := busiestClient(t, r.c, "svc")
	require.NoError(t, victim.Kill(ctx))
	faultAt := time.Now()
	nodeID := nodeIDOf(t, r.c, victim)
	r.check("node marked down", waitNodeStatus(r.c, nodeID, api.NodeStatusDown, 2*time.Minute))
	err := waitRunning(lead, "svc", map[string]bool{nodeID: true}, 2*time.Minute)
	if r.check(fmt.Sprintf("rescheduled to %d running, none on the down node", serviceCount), err) {
		r.row.Allocs = time.Since(faultAt)
	}

	require.NoError(t, victim.Start(ctx))
	r.check("client back ready", waitNodeStatus(r.c, nodeID, api.NodeStatusReady, time.Minute))
	r.check("old allocations stopped, not run twice", watchNoDoubleRun(lead, "svc", oldAllocs, 15*time.Second))
	r.verify()
}

// serviceJob is a long-running WebAssembly service of serviceCount
// allocations in the clients' datacenter.
func serviceJob(id string) *api.Job {
	return &api.Job{
		ID: id, Type: api.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*api.TaskGroup{{
			Name: "web", Count: serviceCount,
			Tasks: []*api.Task{{
				Name: "ticker", Driver: "wasm",
				Config:    map[string]any{"module": "/examples/wasm/ticker.wasm"},
				Resources: &api.Resources{CPU: 100, MemoryMB: 32},
			}},
		}},
	}
}

// waitRunning polls until the job has exactly serviceCount allocations
// wanted and reported running, none of them on the excluded nodes.
func waitRunning(s *Agent, jobID string, exclude map[string]bool, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	return poll(ctx, 500*time.Millisecond, func() error {
		byNode, n, err := runningAllocs(ctx, s, jobID)
		if err != nil {
			return err
		}
		for node := range exclude {
			if len(byNode[node]) > 0 {
				return fmt.Errorf("%d allocations running on down node %s", len(byNode[node]), node)
			}
		}
		if n != serviceCount {
			return fmt.Errorf("%d of %d allocations running", n, serviceCount)
		}
		return nil
	})
}

// busiestClient returns the client agent running the most allocations of
// the job, and those allocations' IDs.
func busiestClient(t *testing.T, c *Cluster, jobID string) (*Agent, []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	byNode, _, err := runningAllocs(ctx, c.Servers()[0], jobID)
	require.NoError(t, err)
	best := ""
	for node, allocs := range byNode {
		if best == "" || len(allocs) > len(byNode[best]) {
			best = node
		}
	}
	node, _, err := c.Servers()[0].API().Node(ctx, best, nil)
	require.NoError(t, err)
	var ids []string
	for _, a := range byNode[best] {
		ids = append(ids, a.ID)
	}
	for _, a := range c.Clients() {
		if a.Name == node.Name {
			return a, ids
		}
	}
	t.Fatalf("node %s (%s) is no client agent of the cluster", node.Name, best)
	return nil, nil
}

// nodeIDOf returns the node ID the client agent registered.
func nodeIDOf(t *testing.T, c *Cluster, a *Agent) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nodes, err := c.readNodes(ctx)
	require.NoError(t, err)
	for _, n := range nodes {
		if n.Name == a.Name {
			return n.ID
		}
	}
	t.Fatalf("client %s has no node", a.Name)
	return ""
}

// waitNodeStatus polls until the node has the status.
func waitNodeStatus(c *Cluster, nodeID, status string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	return poll(ctx, 250*time.Millisecond, func() error {
		n, _, err := c.Servers()[0].API().Node(ctx, nodeID, nil)
		if err != nil {
			return err
		}
		if n.Status != status {
			return fmt.Errorf("node %s is %s, not %s", nodeID, n.Status, status)
		}
		return nil
	})
}

// watchNoDoubleRun observes the job for a while after the client came
// back: none of its old allocations may be wanted or reported running,
// and the group must stay at exactly its count.
func watchNoDoubleRun(s *Agent, jobID string, old []string, window time.Duration) error {
	deadline := time.Now().Add(window)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, n, err := runningAllocs(ctx, s, jobID)
		if err == nil && n != serviceCount {
			cancel()
			return fmt.Errorf("%d allocations running, want %d", n, serviceCount)
		}
		for _, id := range old {
			a, _, err := s.API().Allocation(ctx, id, nil)
			if err == nil && (a.ClientStatus == api.AllocClientRunning || a.DesiredStatus == api.AllocDesiredRun) {
				cancel()
				return fmt.Errorf("old allocation %s is %s/%s after its node came back",
					id, a.DesiredStatus, a.ClientStatus)
			}
		}
		cancel()
		<-time.After(500 * time.Millisecond)
	}
	return nil
}
