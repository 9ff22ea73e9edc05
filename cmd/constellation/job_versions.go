package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

func newJobVersionsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "versions ID",
		Short: "List the stored versions of a job, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			versions, _, err := apiClient(cmd).JobVersions(cmd.Context(), args[0], nil)
			if err != nil {
				return fmt.Errorf("list versions of job %q: %w", args[0], err)
			}
			formatJobVersions(cmd.OutOrStdout(), versions)
			return nil
		},
	}
}

// formatJobVersions prints one row per version with what set it apart.
func formatJobVersions(w io.Writer, versions []*api.Job) {
	if len(versions) == 0 {
		fmt.Fprintln(w, "No versions stored")
		return
	}
	t := newTable(w, "Version", "Submitted", "Stopped", "Groups", "Tasks")
	for _, v := range versions {
		t.row(fmt.Sprint(v.Version), formatTime(v.SubmitTime), fmt.Sprint(v.Stop),
			groupCounts(v), taskDrivers(v))
	}
	t.flush()
}

// taskDrivers renders a job's tasks as "web/app:exec".
func taskDrivers(job *api.Job) string {
	s := ""
	for _, tg := range job.TaskGroups {
		for _, task := range tg.Tasks {
			if s != "" {
				s += ", "
			}
			s += tg.Name + "/" + task.Name + ":" + task.Driver
		}
	}
	return orDash(s)
}
