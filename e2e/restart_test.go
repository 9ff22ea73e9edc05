//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// TestChaos_RollingRestart stops and restarts every server, one at a
// time, while a prober measures the longest time the API goes without
// answering a linearizable read.
func TestChaos_RollingRestart(t *testing.T) {
	r := newRun(t, "5 rolling restart", "docker stop (SIGTERM) then start, each server in turn")
	ctx := context.Background()
	p := startProber(r.c)
	r.w.Start()
	require.NoError(t, r.waitAcked(ackedBefore, time.Minute), "workload made no progress before the fault")

	for _, s := range r.c.Servers() {
		require.NoError(t, s.Stop(ctx), "stop %s", s.Name)
		_, ok := r.newLeader(time.Now(), r.c.Others(s), leaderBound)
		require.True(t, ok, "no leader while %s is stopped", s.Name)
		require.NoError(t, s.Start(ctx), "start %s", s.Name)
		r.check(s.Name+" rejoins and catches up", waitCaughtUp(r, s))
	}
	r.row.Leader = 0 // per-restart elections are in the gap figure
	gap := p.stop()
	var gapErr error
	if gap > gapBound {
		gapErr = fmt.Errorf("the API went %v without answering", gap)
	}
	r.check(fmt.Sprintf("API answered throughout (gap under %v)", gapBound), gapErr)
	r.row.Extra = fmt.Sprintf("longest API gap %v", gap.Round(10*time.Millisecond))
	r.verify()
}

// waitCaughtUp writes a marker job through the cluster after s restarted
// and polls until s's own copy holds it.
func waitCaughtUp(r *run, s *Agent) error {
	ctx, cancel := context.WithTimeout(context.Background(), recoverBound)
	defer cancel()
	marker := workloadJob("marker-"+s.Name, fmt.Sprint(time.Now().UnixNano()), 0)
	err := poll(ctx, 250*time.Millisecond, func() error {
		_, err := r.c.Others(s)[0].API().RegisterJob(ctx, &api.JobRegisterRequest{Job: marker})
		return err
	})
	if err != nil {
		return fmt.Errorf("register marker: %w", err)
	}
	return poll(ctx, 250*time.Millisecond, func() error {
		job, _, err := s.API().Job(ctx, marker.ID, &api.QueryOptions{Stale: true})
		if err != nil {
			return err
		}
		if job.Meta["token"] != marker.Meta["token"] {
			return fmt.Errorf("%s holds an older marker", s.Name)
		}
		return nil
	})
}

// prober reads through the API every 50ms and keeps the longest time between two answers.
type prober struct {
	done chan struct{}
	wg   sync.WaitGroup
	gap  time.Duration
}

func startProber(c *Cluster) *prober {
	p := &prober{done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		last := time.Now()
		for {
			select {
			case <-p.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if probeOnce(c) {
				p.gap = max(p.gap, time.Since(last))
				last = time.Now()
			}
		}
	}()
	return p
}

// probeOnce sends a linearizable read to every server at once and
// reports whether any answered, as a client that knows every server's
// address would.
func probeOnce(c *Cluster) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	answers := make(chan bool, len(c.Servers()))
	for _, s := range c.Servers() {
		go func() {
			_, _, err := s.API().Jobs(ctx, nil)
			answers <- err == nil
		}()
	}
	for range c.Servers() {
		if <-answers {
			return true
		}
	}
	return false
}

// stop ends the prober and returns the longest gap.
func (p *prober) stop() time.Duration {
	close(p.done)
	p.wg.Wait()
	return p.gap
}

// TestChaos_AllServersKilledMidWrite kills every server at once with
// SIGKILL in the middle of a burst of writes, then restarts them all on
// their data directories.
func TestChaos_AllServersKilledMidWrite(t *testing.T) {
	r := newRun(t, "6 all servers kill -9", "docker kill -s KILL on every server at once mid-write, restart all")
	r.w.Think = 5 * time.Millisecond // a burst
	r.w.Start()
	require.NoError(t, r.waitAcked(ackedBefore, time.Minute), "workload made no progress before the fault")

	r.check("kill every server", everyServer(r.c, (*Agent).Kill))
	faultAt := time.Now()
	require.NoError(t, everyServer(r.c, (*Agent).Start))
	r.newLeader(faultAt, r.c.Servers(), recoverBound)
	r.check("writes accepted again", r.waitAcked(ackedAfter, 2*recoverBound))
	r.writesBack(faultAt)
	r.verify()
}

// everyServer runs f on every server at once.
func everyServer(c *Cluster, f func(*Agent, context.Context) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(c.Servers()))
	for i, s := range c.Servers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(s, context.Background())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
