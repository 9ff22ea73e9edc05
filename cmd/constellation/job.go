package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/internal/jobspec"
)

// newJobCmd returns the "job" command and its verbs.
func newJobCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Run, inspect, scale and stop jobs",
	}
	cmd.AddCommand(
		newJobRunCmd(),
		newJobStatusCmd(),
		newJobStopCmd(),
		newJobVersionsCmd(),
		newJobScaleCmd(),
		newJobValidateCmd(),
	)
	return cmd
}

// readJobFile reads and parses a job file; "-" reads HCL from stdin.
func readJobFile(path string) (*api.Job, error) {
	var (
		src []byte
		err error
	)
	if path == "-" {
		src, err = io.ReadAll(os.Stdin)
		path = "stdin.hcl"
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	return jobspec.Parse(path, src)
}
