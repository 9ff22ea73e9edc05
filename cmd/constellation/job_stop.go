package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newJobStopCmd() *cobra.Command {
	var purge, detach bool
	cmd := &cobra.Command{
		Use:   "stop [-purge] ID",
		Short: "Stop a job's allocations; -purge also removes the job",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := apiClient(cmd)
			resp, err := c.StopJob(cmd.Context(), args[0], purge)
			if err != nil {
				return fmt.Errorf("stop job %q: %w", args[0], err)
			}
			w := cmd.OutOrStdout()
			if purge {
				fmt.Fprintf(w, "Job %q stopped and purged\n", args[0])
			} else {
				fmt.Fprintf(w, "Job %q stopped\n", args[0])
			}
			if detach || resp.EvalID == "" {
				fmt.Fprintf(w, "Evaluation ID: %s\n", orDash(resp.EvalID))
				return nil
			}
			return monitorEval(cmd.Context(), c, w, resp.EvalID, resp.Index)
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "remove the job from the cluster state as well")
	cmd.Flags().BoolVar(&detach, "detach", false, "return without following the evaluation")
	return cmd
}
