package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers/exec"
	gpudriver "github.com/constellation-sched/constellation/drivers/gpu"
	"github.com/constellation-sched/constellation/drivers/wasm"
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
	job, err := jobspec.Parse(path, src)
	if err != nil {
		return nil, err
	}
	if err := validateDriverConfigs(path, job); err != nil {
		return nil, err
	}
	return job, nil
}

// driverValidators check a task's driver block the way the client that
// runs it will, so that a bad config is refused before it is submitted.
var driverValidators = map[string]func(map[string]any) error{
	"wasm": wasm.ValidateConfig,
	"exec": exec.New(slog.New(slog.DiscardHandler)).Validate,
	"gpu":  gpudriver.New(gpudriver.Options{Logger: slog.New(slog.DiscardHandler)}).Validate,
}

func validateDriverConfigs(path string, job *api.Job) error {
	var errs []error
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			validate, ok := driverValidators[t.Driver]
			if !ok {
				continue
			}
			if err := validate(t.Config); err != nil {
				errs = append(errs, fmt.Errorf("%s: group %q: task %q: %w", path, tg.Name, t.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}
