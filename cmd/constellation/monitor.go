package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// exitPlacementFailed is the exit status of a command whose evaluation
// could not place every allocation.
const exitPlacementFailed = 2

// evalWait bounds each blocking read while following an evaluation.
const evalWait = 10 * time.Second

// monitorEval follows an evaluation until the scheduler has handled it,
// then prints its placements. sinceIndex is the Raft index of the write
// that made the evaluation: allocations created before it are not this
// evaluation's. It returns an exitError when placements failed.
func monitorEval(ctx context.Context, c *api.Client, w io.Writer, evalID string,
	sinceIndex uint64) error {
	if evalID == "" {
		fmt.Fprintln(w, "==> No evaluation was created: nothing to schedule")
		return nil
	}
	fmt.Fprintf(w, "==> Monitoring evaluation %q\n", shortID(evalID))
	eval, err := waitEval(ctx, c, evalID)
	if err != nil {
		return err
	}
	allocs, err := evalAllocations(ctx, c, eval, sinceIndex)
	if err != nil {
		return err
	}
	formatEvalResult(w, eval, allocs)
	if len(eval.FailedTGAllocs) > 0 || eval.Status == api.EvalStatusFailed {
		return &exitError{code: exitPlacementFailed}
	}
	return nil
}

// waitEval blocks until the evaluation leaves the pending state.
func waitEval(ctx context.Context, c *api.Client, id string) (*api.Evaluation, error) {
	var index uint64
	for {
		eval, meta, err := c.Evaluation(ctx, id, &api.QueryOptions{WaitIndex: index, WaitTime: evalWait})
		if err != nil {
			return nil, fmt.Errorf("read evaluation %s: %w", shortID(id), err)
		}
		if eval.Status != api.EvalStatusPending && eval.Status != "" {
			return eval, nil
		}
		if meta.LastIndex <= index {
			// The server did not block; do not spin.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
		index = meta.LastIndex
	}
}

// evalAllocations returns the allocations the evaluation created.
func evalAllocations(ctx context.Context, c *api.Client, eval *api.Evaluation,
	sinceIndex uint64) ([]*api.Allocation, error) {
	stubs, _, err := c.JobAllocations(ctx, eval.JobID, nil)
	if api.IsNotFound(err) {
		return nil, nil // the job was purged
	}
	if err != nil {
		return nil, fmt.Errorf("list allocations of job %s: %w", eval.JobID, err)
	}
	var out []*api.Allocation
	for _, s := range stubs {
		if s.CreateIndex < sinceIndex {
			continue
		}
		alloc, _, err := c.Allocation(ctx, s.ID, nil)
		if err != nil {
			return nil, fmt.Errorf("read allocation %s: %w", shortID(s.ID), err)
		}
		if alloc.EvalID == eval.ID {
			out = append(out, alloc)
		}
	}
	return out, nil
}

// formatEvalResult prints what an evaluation did: the allocations it
// placed and, for those it could not place, why.
func formatEvalResult(w io.Writer, eval *api.Evaluation, allocs []*api.Allocation) {
	fmt.Fprintf(w, "    Evaluation triggered by job %q (%s)\n", eval.JobID, orDash(eval.TriggeredBy))
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].Name < allocs[j].Name })
	for _, a := range allocs {
		fmt.Fprintf(w, "    Allocation %q created: node %q, group %q\n",
			shortID(a.ID), shortID(a.NodeID), a.TaskGroup)
	}
	fmt.Fprintf(w, "    Evaluation status changed: %q\n", eval.Status)
	if eval.StatusDescription != "" {
		fmt.Fprintf(w, "    %s\n", eval.StatusDescription)
	}
	if len(eval.FailedTGAllocs) == 0 {
		fmt.Fprintf(w, "==> Evaluation %q finished with status %q\n", shortID(eval.ID), eval.Status)
		return
	}
	fmt.Fprintf(w, "==> Evaluation %q finished with status %q but failed to place all allocations:\n",
		shortID(eval.ID), eval.Status)
	for _, tg := range sortedKeys(eval.FailedTGAllocs) {
		formatAllocMetric(w, tg, eval.FailedTGAllocs[tg])
	}
	if eval.BlockedEval != "" {
		fmt.Fprintf(w, "    Evaluation %q waiting for additional capacity to place the remainder\n",
			shortID(eval.BlockedEval))
	}
}

// formatAllocMetric explains why a group's placements failed.
func formatAllocMetric(w io.Writer, group string, m *api.AllocMetric) {
	failed := 1 + m.CoalescedFailures
	plural := "s"
	if failed == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "    Task Group %q (failed to place %d allocation%s):\n", group, failed, plural)
	if m.NodesEvaluated == 0 {
		fmt.Fprintln(w, "      * No nodes were eligible for evaluation")
	}
	for _, c := range sortedKeys(m.ConstraintFiltered) {
		fmt.Fprintf(w, "      * Constraint %q: %d nodes excluded by filter\n", c, m.ConstraintFiltered[c])
	}
	if m.NodesExhausted > 0 {
		fmt.Fprintf(w, "      * Resources exhausted on %d nodes\n", m.NodesExhausted)
	}
	for _, d := range sortedKeys(m.DimensionExhausted) {
		fmt.Fprintf(w, "      * Dimension %q exhausted on %d nodes\n", d, m.DimensionExhausted[d])
	}
	if m.NodesEvaluated > 0 && m.NodesFiltered+m.NodesExhausted == 0 && len(m.ConstraintFiltered) == 0 {
		fmt.Fprintf(w, "      * %d nodes evaluated, none fit\n", m.NodesEvaluated)
	}
}

// groupCounts renders a job's group counts as "web=3, db=1".
func groupCounts(job *api.Job) string {
	parts := make([]string, 0, len(job.TaskGroups))
	for _, tg := range job.TaskGroups {
		parts = append(parts, fmt.Sprintf("%s=%d", tg.Name, tg.Count))
	}
	return strings.Join(parts, ", ")
}
