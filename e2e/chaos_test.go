//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// Bounds the scenarios hold the cluster to. They are properties the
// suite promises users (a leader within a few seconds), not measurements;
// each row reports the measured figure.
const (
	// leaderBound is how long the surviving majority may take to elect a
	// new leader after the leader dies or is cut off.
	leaderBound = 10 * time.Second
	// recoverBound is how long the cluster may take to heal by itself
	// after the fault is removed: leader, agreement, caught-up followers.
	recoverBound = 60 * time.Second
	// gapBound is the longest the API may go unanswered while servers
	// restart one at a time: a graceful stop must cost no more than a
	// crash, whose election takes about 3 s with Raft's default timeouts.
	gapBound = 5 * time.Second
)

// Workload sizes: how many writes must be acknowledged before a fault is
// injected, and after it, before the scenario heals and checks. They size
// the suite to under ten minutes on two cores.
const (
	ackedBefore = 300
	ackedAfter  = 600
)

// imageErr is set when the agent image is missing; the scenarios fail on
// it, the checker's own tests still run.
var imageErr error

func TestMain(m *testing.M) {
	cleanupOnSignal()
	pruneDeadRuns()
	if _, err := docker(context.Background(), "image", "inspect", imageName()); err != nil {
		imageErr = fmt.Errorf("image %s not found: run `make image` (or set CHAOS_IMAGE): %w", imageName(), err)
	}
	start := time.Now()
	code := m.Run()
	cleanupOnce.Do(removeRunResources)
	printReport(os.Stdout, time.Since(start))
	os.Exit(code)
}

// run is one scenario in progress: its cluster, workload and report row.
type run struct {
	t     *testing.T
	c     *Cluster
	w     *Workload
	row   *Row
	start time.Time
}

// newRun starts a cluster of the default shape, waits for a leader and
// the client nodes, and prepares a workload (not started).
func newRun(t *testing.T, scenario, fault string) *run {
	require.NoError(t, imageErr)
	_ = os.RemoveAll(outDir(t)) // what an earlier run of this test left
	r := &run{t: t, start: time.Now(), row: &Row{Scenario: scenario, Fault: fault}}
	opts := defaultOptions()
	r.c = NewCluster(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := r.c.WaitLeader(ctx, r.c.Servers())
	require.NoError(t, err, "cluster never elected a first leader")
	require.NoError(t, r.c.WaitNodesReady(ctx, opts.Clients), "client nodes never became ready")
	r.w = NewWorkload(r.c, "job", 6, 8)
	t.Cleanup(r.finishRow)
	return r
}

// check records a named property: passed when err is nil, otherwise
// failed with err, which fails the test.
func (r *run) check(name string, err error) bool {
	r.t.Logf("%6.1fs check %q: %v", time.Since(r.start).Seconds(), name, errOrOK(err))
	if err == nil {
		r.row.Passed = append(r.row.Passed, name)
		return true
	}
	r.row.Failed = append(r.row.Failed, name+": "+err.Error())
	r.t.Errorf("%s: %v", name, err)
	return false
}

func errOrOK(err error) any {
	if err == nil {
		return "ok"
	}
	return err
}

// finishRow completes and prints the scenario's row.
func (r *run) finishRow() {
	r.row.Took = time.Since(r.start)
	if r.w.hist != nil {
		r.row.OK, r.row.Fail, r.row.Unknown = r.w.hist.Counts()
		r.row.P50, r.row.P99 = r.w.hist.WriteLatency()
	}
	r.t.Logf("\n%s", r.row)
	addRow(r.row)
}

// waitAcked waits until n more writes have been acknowledged than when
// it was called, which is how a scenario lets its workload make progress
// before and after a fault.
func (r *run) waitAcked(n int, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	base := r.ackedWrites()
	return poll(ctx, 100*time.Millisecond, func() error {
		if got := r.ackedWrites() - base; got < n {
			return fmt.Errorf("%d of %d writes acknowledged", got, n)
		}
		return nil
	})
}

// ackedWrites counts the acknowledged writes recorded so far.
func (r *run) ackedWrites() int {
	n := 0
	for _, op := range r.w.hist.Ops() {
		if op.Input.Kind != OpRead && op.Output.Status == StatusOK && !op.Output.Conflict && !op.Output.NotFound {
			n++
		}
	}
	return n
}

// hold keeps a fault in place for d: the fault's duration, not a wait
// for something to happen.
func hold(d time.Duration) {
	<-time.After(d)
}

// newLeader waits for a leader among the given servers, and records the
// time from the fault as the row's leader recovery.
func (r *run) newLeader(faultAt time.Time, among []*Agent, within time.Duration) (*Agent, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	l, err := r.c.WaitLeader(ctx, among)
	if err == nil {
		r.row.Leader = time.Since(faultAt)
	}
	return l, r.check(fmt.Sprintf("new leader within %v", within), err)
}

// writesBack records the time from the fault to the first acknowledged
// write invoked after it.
func (r *run) writesBack(faultAt time.Time) {
	if at, ok := r.w.hist.FirstOKWriteAfter(r.w.hist.Since(faultAt)); ok {
		r.row.Writes = time.Duration(at - r.w.hist.Since(faultAt))
	}
}

// verify ends the workload and checks what every scenario promises: the
// servers agree, every acknowledged write is there, and the history is
// linearizable.
func (r *run) verify() {
	r.w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), recoverBound)
	defer cancel()
	_, err := r.c.WaitLeader(ctx, r.c.Servers())
	r.check("leader after heal", err)
	r.finalReads(ctx)
	r.check("all servers agree", r.c.WaitAgreement(ctx, r.w.Keys))
	r.check("no acknowledged write lost", lostWrites(r.w.hist))
	v := CheckLinearizable(r.t, r.w.hist)
	var linErr error
	if v.Result != "Ok" {
		linErr = fmt.Errorf("porcupine says %s over %d ops; visualisation %s, history %s",
			v.Result, v.Ops, v.Path, "history.json")
	}
	r.check("linearizable", linErr)
}

// finalReads records one linearizable read of every key, retried until
// it answers, so that the history ends with what the cluster holds.
func (r *run) finalReads(ctx context.Context) {
	u := r.w.Users
	for _, key := range r.w.Keys {
		_ = poll(ctx, 200*time.Millisecond, func() error {
			for _, s := range r.c.Servers() {
				if _, _, ok := r.w.read(u, s, key); ok {
					return nil
				}
			}
			return fmt.Errorf("no server answered a read of %s", key)
		})
	}
}

// mustRegister registers a job, retrying through any server until one
// acknowledges it.
func (r *run) mustRegister(job *api.Job) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := poll(ctx, 250*time.Millisecond, func() error {
		_, err := r.c.Servers()[0].API().RegisterJob(ctx, &api.JobRegisterRequest{Job: job})
		return err
	})
	require.NoError(r.t, err, "register %s", job.ID)
}
