package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

func newJobScaleCmd() *cobra.Command {
	var detach bool
	cmd := &cobra.Command{
		Use:   "scale ID GROUP COUNT",
		Short: "Set the count of a job's task group",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			count, err := strconv.Atoi(args[2])
			if err != nil || count < 0 {
				return fmt.Errorf("count %q is not a whole number of 0 or more", args[2])
			}
			c := apiClient(cmd)
			resp, err := c.ScaleJob(cmd.Context(), args[0], args[1], count)
			if err != nil {
				return fmt.Errorf("scale group %q of job %q: %w", args[1], args[0], err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Group %q of job %q scaled to %d (job version %d)\n",
				args[1], args[0], count, resp.JobVersion)
			if detach || resp.EvalID == "" {
				fmt.Fprintf(w, "Evaluation ID: %s\n", orDash(resp.EvalID))
				return nil
			}
			return monitorEval(cmd.Context(), c, w, resp.EvalID, resp.Index)
		},
	}
	cmd.Flags().BoolVar(&detach, "detach", false, "return without following the evaluation")
	return cmd
}
