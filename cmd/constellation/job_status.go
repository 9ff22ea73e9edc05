package main

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

func newJobStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status [ID]",
		Short: "List jobs, or show one job with its groups and allocations",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := apiClient(cmd)
			ctx, w := cmd.Context(), cmd.OutOrStdout()
			if len(args) == 0 {
				jobs, _, err := c.Jobs(ctx, nil)
				if err != nil {
					return fmt.Errorf("list jobs: %w", err)
				}
				formatJobList(w, jobs, time.Now())
				return nil
			}
			job, _, err := c.Job(ctx, args[0], nil)
			if err != nil {
				return fmt.Errorf("read job %q: %w", args[0], err)
			}
			allocs, _, err := c.JobAllocations(ctx, job.ID, nil)
			if err != nil {
				return fmt.Errorf("list allocations of job %q: %w", job.ID, err)
			}
			formatJobStatus(w, job, allocs, time.Now())
			evals, _, err := c.JobEvaluations(ctx, job.ID, nil)
			if err != nil {
				return fmt.Errorf("list evaluations of job %q: %w", job.ID, err)
			}
			formatPlacementFailures(w, evals)
			return nil
		},
	}
}

// formatJobList prints one row per job.
func formatJobList(w io.Writer, jobs []*api.JobListStub, now time.Time) {
	if len(jobs) == 0 {
		fmt.Fprintln(w, "No jobs running")
		return
	}
	sort.Slice(jobs, func(i, j int) bool { return jobs[i].ID < jobs[j].ID })
	t := newTable(w, "ID", "Type", "Priority", "Status", "Version", "Submitted")
	for _, j := range jobs {
		status := j.Status
		if j.Stop {
			status += " (stopped)"
		}
		t.row(j.ID, j.Type, fmt.Sprint(j.Priority), orDash(status), fmt.Sprint(j.Version),
			ago(j.SubmitTime, now))
	}
	t.flush()
}

// formatJobStatus prints one job, a summary of its groups and its
// allocations.
func formatJobStatus(w io.Writer, job *api.Job, allocs []*api.AllocListStub, now time.Time) {
	status := job.Status
	if job.Stop {
		status += " (stopped)"
	}
	kv(w,
		"ID", job.ID,
		"Name", job.Name,
		"Type", job.Type,
		"Priority", fmt.Sprint(job.Priority),
		"Datacenters", orDash(fmt.Sprint(job.Datacenters)),
		"Status", orDash(status),
		"Version", fmt.Sprint(job.Version),
		"Submitted", formatTime(job.SubmitTime),
	)

	fmt.Fprintln(w, "\nSummary")
	t := newTable(w, "Task Group", "Desired", "Pending", "Running", "Complete", "Failed", "Lost")
	for _, tg := range job.TaskGroups {
		counts := map[string]int{}
		for _, a := range allocs {
			if a.TaskGroup == tg.Name {
				counts[a.ClientStatus]++
			}
		}
		t.row(tg.Name, fmt.Sprint(tg.Count), fmt.Sprint(counts[api.AllocClientPending]),
			fmt.Sprint(counts[api.AllocClientRunning]), fmt.Sprint(counts[api.AllocClientComplete]),
			fmt.Sprint(counts[api.AllocClientFailed]), fmt.Sprint(counts[api.AllocClientLost]))
	}
	t.flush()

	fmt.Fprintln(w, "\nAllocations")
	if len(allocs) == 0 {
		fmt.Fprintln(w, "No allocations placed")
		return
	}
	formatAllocList(w, allocs, now)
}

// formatAllocList prints allocation stubs, newest first.
func formatAllocList(w io.Writer, allocs []*api.AllocListStub, now time.Time) {
	sort.Slice(allocs, func(i, j int) bool {
		if allocs[i].CreateIndex != allocs[j].CreateIndex {
			return allocs[i].CreateIndex > allocs[j].CreateIndex
		}
		return allocs[i].ID < allocs[j].ID
	})
	t := newTable(w, "ID", "Node ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified")
	for _, a := range allocs {
		t.row(shortID(a.ID), shortID(a.NodeID), a.TaskGroup, fmt.Sprint(a.JobVersion),
			a.DesiredStatus, a.ClientStatus, ago(a.CreateTime, now), ago(a.ModifyTime, now))
	}
	t.flush()
}

// formatPlacementFailures explains, from the job's newest finished
// evaluation, the placements that found no node.
func formatPlacementFailures(w io.Writer, evals []*api.Evaluation) {
	var latest *api.Evaluation
	for _, e := range evals {
		if e.Status != api.EvalStatusComplete && e.Status != api.EvalStatusFailed {
			continue
		}
		if latest == nil || e.ModifyIndex > latest.ModifyIndex {
			latest = e
		}
	}
	if latest == nil || len(latest.FailedTGAllocs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nPlacement Failure")
	for _, tg := range sortedKeys(latest.FailedTGAllocs) {
		formatAllocMetric(w, tg, latest.FailedTGAllocs[tg])
	}
}
