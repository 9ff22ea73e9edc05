package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

func newJobRunCmd() *cobra.Command {
	var detach bool
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Submit a job file and show where its allocations were placed",
		Long: `Parse a job file (HCL, or JSON for .json files), register the job, and
follow its evaluation: print each allocation placed, or why placements
failed. Exits 2 when some allocations could not be placed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := readJobFile(args[0])
			if err != nil {
				return err
			}
			c := apiClient(cmd)
			resp, err := c.RegisterJob(cmd.Context(), &api.JobRegisterRequest{Job: job})
			if err != nil {
				return fmt.Errorf("register job %q: %w", job.ID, err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Job %q registered, version %d\n", job.ID, resp.JobVersion)
			if resp.Warnings != "" {
				fmt.Fprintf(w, "Warnings:\n%s\n", resp.Warnings)
			}
			if detach {
				fmt.Fprintf(w, "Evaluation ID: %s\n", resp.EvalID)
				return nil
			}
			return monitorEval(cmd.Context(), c, w, resp.EvalID, resp.Index)
		},
	}
	cmd.Flags().BoolVar(&detach, "detach", false, "print the evaluation ID and return without following it")
	return cmd
}
