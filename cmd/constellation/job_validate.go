package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/internal/jobspec"
)

func newJobValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a job file without submitting it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := readJobFile(args[0])
			if err != nil {
				return err
			}
			formatJobSummary(cmd.OutOrStdout(), job)
			return nil
		},
	}
}

// formatJobSummary prints a parsed job: its settings and one row per task.
func formatJobSummary(w io.Writer, job *api.Job) {
	fmt.Fprintln(w, "Job validation successful")
	kv(w,
		"ID", job.ID,
		"Type", job.Type,
		"Priority", fmt.Sprint(job.Priority),
		"Datacenters", orDash(fmt.Sprint(job.Datacenters)),
		"Groups", groupCounts(job),
	)
	fmt.Fprintln(w)
	t := newTable(w, "Group", "Task", "Driver", "CPU", "Memory MB", "Devices")
	for _, tg := range job.TaskGroups {
		for _, task := range tg.Tasks {
			cpu, mem, devs := "-", "-", "-"
			if r := task.Resources; r != nil {
				cpu, mem = fmt.Sprint(r.CPU), fmt.Sprint(r.MemoryMB)
				devs = deviceRequests(r.Devices)
			}
			t.row(tg.Name, task.Name, task.Driver, cpu, mem, devs)
		}
	}
	t.flush()
}

// deviceRequests renders device requests as "2 x nvidia/gpu (mps)".
func deviceRequests(reqs []*api.DeviceRequest) string {
	if len(reqs) == 0 {
		return "-"
	}
	s := ""
	for i, d := range reqs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d x %s", d.Count, d.Name)
		if d.MIGProfile != "" {
			s += " [" + d.MIGProfile + "]"
		}
		if d.Sharing != "" && d.Sharing != api.SharingExclusive {
			s += " (" + d.Sharing + ")"
		}
	}
	return s
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
