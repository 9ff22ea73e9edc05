package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

func newAllocStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status ID",
		Short: "Show an allocation with its task states and events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			alloc, _, err := apiClient(cmd).Allocation(cmd.Context(), args[0], nil)
			if err != nil {
				return fmt.Errorf("read allocation %q: %w", args[0], err)
			}
			formatAllocStatus(cmd.OutOrStdout(), alloc, time.Now())
			return nil
		},
	}
}

// formatAllocStatus prints an allocation, then each task's state,
// resources and recent events.
func formatAllocStatus(w io.Writer, a *api.Allocation, now time.Time) {
	var version string
	if a.Job != nil {
		version = fmt.Sprint(a.Job.Version)
	}
	kv(w,
		"ID", a.ID,
		"Eval ID", shortID(a.EvalID),
		"Name", a.Name,
		"Node ID", shortID(a.NodeID),
		"Job ID", a.JobID,
		"Job Version", orDash(version),
		"Client Status", orDash(a.ClientStatus),
		"Client Description", orDash(a.ClientDescription),
		"Desired Status", orDash(a.DesiredStatus),
		"Desired Description", orDash(a.DesiredDescription),
		"Created", ago(a.CreateTime, now),
		"Modified", ago(a.ModifyTime, now),
	)
	if a.PreviousAllocation != "" {
		kv(w, "Replaces", shortID(a.PreviousAllocation),
			"Reschedules", fmt.Sprint(a.RescheduleCount))
	}
	for _, name := range taskNames(a) {
		fmt.Fprintln(w)
		formatTaskState(w, name, a.TaskStates[name], a.Resources[name])
	}
}

// taskNames lists an allocation's tasks in job order, then any task that
// only has a state.
func taskNames(a *api.Allocation) []string {
	seen := map[string]bool{}
	var out []string
	if a.Job != nil {
		for _, tg := range a.Job.TaskGroups {
			if tg.Name != a.TaskGroup {
				continue
			}
			for _, t := range tg.Tasks {
				seen[t.Name] = true
				out = append(out, t.Name)
			}
		}
	}
	for _, name := range sortedKeys(a.TaskStates) {
		if !seen[name] {
			out = append(out, name)
		}
	}
	return out
}

func formatTaskState(w io.Writer, name string, st *api.TaskState, res *api.AllocatedResources) {
	if st == nil {
		fmt.Fprintf(w, "Task %q is %q\n", name, api.TaskStatePending)
	} else {
		state := st.State
		if st.Failed {
			state += " (failed)"
		}
		fmt.Fprintf(w, "Task %q is %q\n", name, state)
	}
	if res != nil {
		fmt.Fprintf(w, "CPU %d MHz, Memory %d MiB\n", res.CPU, res.MemoryMB)
		for _, d := range res.Devices {
			fmt.Fprintf(w, "Device %s/%s %s: %s%s\n", d.Vendor, d.Type, d.Model,
				strings.Join(d.DeviceIDs, ", "), sharingNote(d))
		}
	}
	if st == nil {
		return
	}
	fmt.Fprintf(w, "Restarts %d, Started %s, Finished %s\n", st.Restarts,
		formatTime(st.StartedAt), formatTime(st.FinishedAt))
	if len(st.Events) == 0 {
		return
	}
	fmt.Fprintln(w, "\nRecent Events:")
	t := newTable(w, "Time", "Type", "Description")
	for i := len(st.Events) - 1; i >= 0; i-- {
		ev := st.Events[i]
		t.row(formatTime(ev.Time), ev.Type, eventDescription(ev))
	}
	t.flush()
}

func sharingNote(d *api.AllocatedDevice) string {
	switch d.Sharing {
	case "", api.SharingExclusive:
		return ""
	case api.SharingMPS:
		return fmt.Sprintf(" (mps: %d%% compute, %d MiB)", d.MPSComputePercent, d.MPSMemoryMB)
	}
	return " (" + d.Sharing + ")"
}

// eventDescription renders an event for people, with its exit code where
// the task ended.
func eventDescription(ev *api.TaskEvent) string {
	msg := strings.ReplaceAll(ev.Message, "\n", " ")
	switch ev.Type {
	case api.TaskEventTerminated:
		if msg == "" {
			msg = fmt.Sprintf("Exit Code: %d", ev.ExitCode)
		}
	case api.TaskEventDriverErr:
		if ev.ExitCode != 0 {
			msg = fmt.Sprintf("%s (Exit Code: %d)", msg, ev.ExitCode)
		}
	}
	return orDash(msg)
}
