//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestChaos_LeaderKilledDuringWrites kills the leader with SIGKILL while
// the workload writes, then restarts it on its data directory.
func TestChaos_LeaderKilledDuringWrites(t *testing.T) {
	r := newRun(t, "1 leader kill -9", "docker kill -s KILL on the leader during writes, restart after")
	ctx := context.Background()
	old, err := r.c.WaitLeader(ctx, r.c.Servers())
	require.NoError(t, err)
	r.w.Start()
	require.NoError(t, r.waitAcked(ackedBefore, time.Minute), "workload made no progress before the fault")

	require.NoError(t, old.Kill(ctx))
	faultAt := time.Now()
	r.newLeader(faultAt, r.c.Others(old), leaderBound)
	r.check("writes accepted again", r.waitAcked(ackedAfter, 2*recoverBound))
	r.writesBack(faultAt)

	require.NoError(t, old.Start(ctx))
	r.verify()
}

// TestChaos_LeaderPartitionedIntoMinority cuts the leader off from every
// other server while a user keeps sending it writes.
func TestChaos_LeaderPartitionedIntoMinority(t *testing.T) {
	r := newRun(t, "2 leader partitioned", "iptables: leader cut off from all other servers, both ways")
	partitionLeader(r, func(ctx context.Context, old *Agent, majority []*Agent) error {
		return r.c.Partition(ctx, []*Agent{old}, majority)
	})
}

// TestChaos_LeaderOneWayPartition drops everything the other servers send
// to the leader, while what the leader sends still arrives.
func TestChaos_LeaderOneWayPartition(t *testing.T) {
	r := newRun(t, "2b leader one-way", "iptables: leader receives nothing from the other servers, still sends")
	partitionLeader(r, func(ctx context.Context, old *Agent, majority []*Agent) error {
		return r.c.PartitionOneWay(ctx, majority, old)
	})
}

// partitionLeader runs a partition scenario: user 0 talks only to the
// leader, the fault cuts it off, the majority must elect a leader and
// serve, and after healing every check of verify must hold.
func partitionLeader(r *run, cut func(ctx context.Context, old *Agent, majority []*Agent) error) {
	t := r.t
	ctx := context.Background()
	old, err := r.c.WaitLeader(ctx, r.c.Servers())
	require.NoError(t, err)
	majority := r.c.Others(old)
	r.w.Targets = func(u int) []*Agent {
		if u == 0 {
			return []*Agent{old}
		}
		return majority
	}
	r.w.Start()
	require.NoError(t, r.waitAcked(ackedBefore, time.Minute), "workload made no progress before the fault")

	require.NoError(t, cut(ctx, old, majority))
	faultAt := time.Now()
	r.newLeader(faultAt, majority, leaderBound)
	r.check("old leader steps down", waitStepDown(r.c, old, leaderBound))
	r.check("majority keeps serving", r.waitAcked(ackedAfter, 2*recoverBound))
	r.writesBack(faultAt)

	healAt := r.w.hist.Since(time.Now()) // before the first rule goes
	require.NoError(t, r.c.Heal(ctx))
	r.verify()
	r.row.Extra = oldLeaderWrites(r.w.hist, old, r.w.hist.Since(faultAt), healAt)
}

// oldLeaderWrites summarises the writes sent to the cut-off leader and
// answered while the partition lasted.
func oldLeaderWrites(h *History, old *Agent, from, to int64) string {
	counts := map[string]int{}
	var lastAck time.Duration
	for _, op := range h.Ops() {
		if op.Node == old.Name && op.Input.Kind != OpRead && op.Call >= from && op.Return < to {
			key := op.Output.Status
			if op.Output.Conflict || op.Output.NotFound {
				key = "refused"
			}
			if key == StatusOK {
				lastAck = max(lastAck, time.Duration(op.Return-from))
			}
			counts[key]++
		}
	}
	return fmt.Sprintf("writes to old leader while cut off (%v to %v): %d acknowledged (last %v after the cut), %d refused, %d fail, %d unknown",
		time.Duration(from).Round(time.Millisecond), time.Duration(to).Round(time.Millisecond),
		counts[StatusOK], lastAck.Round(time.Millisecond), counts["refused"], counts[StatusFail], counts[StatusUnknown])
}

// waitStepDown polls until a server no longer names itself leader.
func waitStepDown(c *Cluster, s *Agent, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	return poll(ctx, 100*time.Millisecond, func() error {
		if l := c.LeaderSeenBy(ctx, s); l == s {
			return fmt.Errorf("%s still names itself leader", s.Name)
		}
		return nil
	})
}

// TestChaos_FollowerPaused freezes a follower for several election
// timeouts, then thaws it.
func TestChaos_FollowerPaused(t *testing.T) {
	r := newRun(t, "3 follower paused", "docker pause on a follower for 8s (Raft election timeout 1s), then unpause")
	ctx := context.Background()
	leader, err := r.c.WaitLeader(ctx, r.c.Servers())
	require.NoError(t, err)
	follower := r.c.Others(leader)[0]
	watch := watchLeaders(r.c, r.c.Others(follower))
	r.w.Start()
	require.NoError(t, r.waitAcked(ackedBefore, time.Minute), "workload made no progress before the fault")

	require.NoError(t, follower.Pause(ctx))
	faultAt := time.Now()
	hold(8 * time.Second)
	require.NoError(t, follower.Unpause(ctx))
	r.check("writes continue", r.waitAcked(ackedAfter, 2*recoverBound))
	r.writesBack(faultAt)

	changes := watch.stop()
	var disrupt error
	if changes > 1 {
		disrupt = fmt.Errorf("leader changed %d times", changes)
	}
	r.check("at most one election", disrupt)
	r.row.Extra = fmt.Sprintf("leader changes %d", changes)
	r.verify()
}

// leaderWatch records how often the leader named by a set of servers
// changes.
type leaderWatch struct {
	done    chan struct{}
	wg      sync.WaitGroup
	changes int
}

// watchLeaders polls the servers' view of the leader every 100ms.
func watchLeaders(c *Cluster, servers []*Agent) *leaderWatch {
	w := &leaderWatch{done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		var last *Agent
		for {
			select {
			case <-w.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			for _, s := range servers {
				if l := c.LeaderSeenBy(ctx, s); l != nil {
					if last != nil && l != last {
						w.changes++
					}
					last = l
					break
				}
			}
			cancel()
		}
	}()
	return w
}

// stop ends the watch and returns the number of leader changes seen.
func (w *leaderWatch) stop() int {
	close(w.done)
	w.wg.Wait()
	return w.changes
}
