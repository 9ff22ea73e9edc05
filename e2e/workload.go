//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// voidDatacenter is the datacenter of the workload's jobs: no node is in
// it, so their writes are pure state changes and never place work.
const voidDatacenter = "chaos-void"

// Workload is several concurrent API users registering, updating,
// scaling, stopping and reading jobs, each operation recorded in a
// History.
type Workload struct {
	// Users is the number of concurrent users.
	Users int
	// Keys are the job IDs the users work on.
	Keys []string
	// Targets returns the servers user u may send a request to; each
	// request goes to one of them at random.
	Targets func(u int) []*Agent
	// Think is the longest pause of a user between two operations.
	Think time.Duration

	hist *History
	wg   sync.WaitGroup
	stop context.CancelFunc

	mu      sync.Mutex // guards avoided
	avoided map[*Agent]time.Time
}

// avoidFor is how long a user stays away from a server that it could not
// reach, as a real API client fails over to another address.
const avoidFor = 2 * time.Second

// NewWorkload returns a workload of users over keys named prefix-0..n-1,
// sending each request to a random server of the cluster.
func NewWorkload(c *Cluster, prefix string, users, keys int) *Workload {
	w := &Workload{Users: users, Think: 30 * time.Millisecond, hist: NewHistory()}
	for i := range keys {
		w.Keys = append(w.Keys, fmt.Sprintf("%s-%d", prefix, i))
	}
	w.Targets = func(int) []*Agent { return c.Servers() }
	return w
}

// History returns the workload's history.
func (w *Workload) History() *History { return w.hist }

// Start starts the users; Stop ends them.
func (w *Workload) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	for u := range w.Users {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.user(ctx, u)
		}()
	}
}

// Stop ends the users and waits until every operation in flight has been
// recorded.
func (w *Workload) Stop() {
	w.stop()
	w.wg.Wait()
}

// user runs one user's loop: a random operation on a random key, then a
// short random pause.
func (w *Workload) user(ctx context.Context, u int) {
	rng := rand.New(rand.NewPCG(uint64(u), uint64(time.Now().UnixNano())))
	for seq := 0; ctx.Err() == nil; seq++ {
		key := w.Keys[rng.IntN(len(w.Keys))]
		srv := w.pick(rng, w.Targets(u))
		token := fmt.Sprintf("u%d-%d", u, seq)
		switch p := rng.IntN(100); {
		case p < 40:
			w.read(u, srv, key)
		case p < 65:
			w.put(u, srv, key, token, rng.IntN(4))
		case p < 80:
			if st, jmi, ok := w.read(u, srv, key); ok {
				w.cas(u, srv, key, token, rng.IntN(4), st, jmi)
			}
		case p < 92:
			w.scale(u, srv, key, rng.IntN(4))
		default:
			w.stopJob(u, srv, key)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(rng.Int64N(int64(w.Think) + 1))):
		}
	}
}

// pick returns a random target, preferring those not recently
// unreachable.
func (w *Workload) pick(rng *rand.Rand, targets []*Agent) *Agent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ok []*Agent
	for _, a := range targets {
		if time.Now().After(w.avoided[a]) {
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		ok = targets
	}
	return ok[rng.IntN(len(ok))]
}

// noteReach marks srv to be avoided for a while when out says the request
// did not get an answer from it.
func (w *Workload) noteReach(srv *Agent, out Output) {
	if out.Status == StatusOK || strings.HasPrefix(out.Err, "5") {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.avoided == nil {
		w.avoided = map[*Agent]time.Time{}
	}
	w.avoided[srv] = time.Now().Add(avoidFor)
}

// read records a linearizable read and returns what it saw and the job's
// JobModifyIndex, with ok false when the read failed.
func (w *Workload) read(u int, srv *Agent, key string) (JobState, uint64, bool) {
	in := Input{Kind: OpRead, Key: key}
	call := w.hist.Now()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	job, _, err := srv.API().Job(ctx, key, nil)
	cancel()
	out := classify(err, false)
	w.noteReach(srv, out)
	if err == nil {
		out.State = stateOf(job)
	}
	w.hist.record(Op{Client: u, Node: srv.Name, Input: in, Output: out, Call: call, Return: w.hist.Now()})
	if out.Status != StatusOK {
		return JobState{}, 0, false
	}
	return out.State, job.JobModifyIndex, true
}

// put records a blind register of a new spec.
func (w *Workload) put(u int, srv *Agent, key, token string, count int) {
	in := Input{Kind: OpPut, Key: key, Token: token, Count: count}
	w.write(u, srv, in, func(ctx context.Context) error {
		_, err := srv.API().RegisterJob(ctx, &api.JobRegisterRequest{Job: workloadJob(key, token, count)})
		return err
	})
}

// cas records a register that must find the job at the version read.
func (w *Workload) cas(u int, srv *Agent, key, token string, count int, seen JobState, jmi uint64) {
	in := Input{Kind: OpCAS, Key: key, Token: token, Count: count, ExpectVersion: -1}
	if seen.Exists {
		in.ExpectVersion = int64(seen.Version)
	}
	w.write(u, srv, in, func(ctx context.Context) error {
		req := &api.JobRegisterRequest{Job: workloadJob(key, token, count), EnforceIndex: true, JobModifyIndex: jmi}
		_, err := srv.API().RegisterJob(ctx, req)
		return err
	})
}

// scale records a scale of the job's group.
func (w *Workload) scale(u int, srv *Agent, key string, count int) {
	in := Input{Kind: OpScale, Key: key, Count: count}
	w.write(u, srv, in, func(ctx context.Context) error {
		_, err := srv.API().ScaleJob(ctx, key, "g", count)
		return err
	})
}

// stopJob records a stop of the job.
func (w *Workload) stopJob(u int, srv *Agent, key string) {
	in := Input{Kind: OpStop, Key: key}
	w.write(u, srv, in, func(ctx context.Context) error {
		_, err := srv.API().StopJob(ctx, key, false)
		return err
	})
}

// write records one write: invoked now, then ok, fail or unknown.
func (w *Workload) write(u int, srv *Agent, in Input, do func(context.Context) error) {
	call := w.hist.Now()
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	err := do(ctx)
	cancel()
	out := classify(err, true)
	w.noteReach(srv, out)
	w.hist.record(Op{Client: u, Node: srv.Name, Input: in, Output: out, Call: call, Return: w.hist.Now()})
}

// workloadJob is the spec a put or cas writes: a service job in a
// datacenter with no nodes, marked with the writer's unique token.
func workloadJob(key, token string, count int) *api.Job {
	return &api.Job{
		ID: key, Type: api.JobTypeService, Datacenters: []string{voidDatacenter},
		Meta: map[string]string{"token": token},
		TaskGroups: []*api.TaskGroup{{
			Name: "g", Count: count,
			Tasks: []*api.Task{{
				Name: "t", Driver: "wasm",
				Config:    map[string]any{"module": "/examples/wasm/ticker.wasm"},
				Resources: &api.Resources{CPU: 10, MemoryMB: 16},
			}},
		}},
	}
}

// stateOf reads the modelled register out of a job.
func stateOf(job *api.Job) JobState {
	st := JobState{Exists: true, Token: job.Meta["token"], Stop: job.Stop, Version: job.Version}
	if len(job.TaskGroups) > 0 {
		st.Count = job.TaskGroups[0].Count
	}
	return st
}
