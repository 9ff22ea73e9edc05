//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// jobView is what one server's own copy says about a job.
type jobView struct {
	Exists         bool
	Version        uint64
	JobModifyIndex uint64
	Token          string
}

// WaitAgreement polls until every server answers a stale read (its own
// copy) of every key with the same job version, JobModifyIndex and spec.
func (c *Cluster) WaitAgreement(ctx context.Context, keys []string) error {
	return poll(ctx, 250*time.Millisecond, func() error {
		for _, key := range keys {
			if err := c.agreeOn(ctx, key); err != nil {
				return err
			}
		}
		return nil
	})
}

// agreeOn compares every server's copy of one job.
func (c *Cluster) agreeOn(ctx context.Context, key string) error {
	var first *jobView
	var firstName string
	for _, s := range c.Servers() {
		job, _, err := s.API().Job(ctx, key, &api.QueryOptions{Stale: true})
		view := jobView{}
		switch {
		case err == nil:
			view = jobView{true, job.Version, job.JobModifyIndex, job.Meta["token"]}
		case !api.IsNotFound(err):
			return fmt.Errorf("server %s did not answer a read of %s: %w", s.Name, key, err)
		}
		if first == nil {
			first, firstName = &view, s.Name
			continue
		}
		if view != *first {
			return fmt.Errorf("job %s: %s holds %+v, %s holds %+v", key, firstName, *first, s.Name, view)
		}
	}
	return nil
}

// lostWrites checks the history for acknowledged writes that the final
// state does not account for: a job with an acknowledged register that
// ends absent, or with fewer versions than acknowledged spec changes.
func lostWrites(h *History) error {
	acked := map[string]int{}
	final := map[string]Op{}
	for _, op := range h.Ops() {
		k := op.Input.Key
		out := op.Output
		switch {
		case op.Input.Kind == OpRead && out.Status == StatusOK:
			if prev, ok := final[k]; !ok || op.Call > prev.Call {
				final[k] = op
			}
		case (op.Input.Kind == OpPut || op.Input.Kind == OpCAS) &&
			out.Status == StatusOK && !out.Conflict:
			acked[k]++
		}
	}
	var errs []error
	for k, n := range acked {
		last, ok := final[k]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("job %s: no final read", k))
		case last.Output.NotFound:
			errs = append(errs, fmt.Errorf("job %s: %d registers acknowledged, job absent at the end", k, n))
		case int(last.Output.State.Version)+1 < n:
			errs = append(errs, fmt.Errorf("job %s: %d spec changes acknowledged, only %d versions at the end",
				k, n, last.Output.State.Version+1))
		}
	}
	return errors.Join(errs...)
}

// runningAllocs returns the allocations of a job the servers want running
// and the client reports running, by node ID.
func runningAllocs(ctx context.Context, s *Agent, jobID string) (map[string][]*api.AllocListStub, int, error) {
	allocs, _, err := s.API().JobAllocations(ctx, jobID, nil)
	if err != nil {
		return nil, 0, err
	}
	byNode := map[string][]*api.AllocListStub{}
	n := 0
	for _, a := range allocs {
		if a.DesiredStatus == api.AllocDesiredRun && a.ClientStatus == api.AllocClientRunning {
			byNode[a.NodeID] = append(byNode[a.NodeID], a)
			n++
		}
	}
	return byNode, n, nil
}
