package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

func newGPUStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List every GPU and MIG instance with the allocations using it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			gpus, _, err := apiClient(cmd).GPUs(cmd.Context(), nil)
			if err != nil {
				return fmt.Errorf("list GPUs: %w", err)
			}
			formatGPUs(cmd.OutOrStdout(), gpus)
			return nil
		},
	}
}

// formatGPUs prints one row per device or MIG instance; MIG instances
// follow their parent GPU.
func formatGPUs(w io.Writer, gpus []*api.GPUStatus) {
	if len(gpus) == 0 {
		fmt.Fprintln(w, "No GPUs in the cluster")
		return
	}
	sort.SliceStable(gpus, func(i, j int) bool {
		a, b := gpus[i], gpus[j]
		if a.NodeName != b.NodeName {
			return a.NodeName < b.NodeName
		}
		if pa, pb := gpuSortKey(a), gpuSortKey(b); pa != pb {
			return pa < pb
		}
		return a.ID < b.ID
	})
	mocked := false
	t := newTable(w, "Node", "Device", "Model", "Profile", "Memory MiB", "Healthy", "Used By")
	for _, g := range gpus {
		id := g.ID
		if g.ParentID != "" {
			id = "  " + id
		}
		mocked = mocked || g.Mocked
		t.row(orDash(g.NodeName), id, orDash(g.Model), orDash(g.MIGProfile), fmt.Sprint(g.MemoryMB),
			fmt.Sprint(g.Healthy), gpuUsers(g.Allocations))
	}
	t.flush()
	if mocked {
		fmt.Fprintln(w, "(some devices are simulated)")
	}
}

// gpuSortKey groups MIG instances under their parent GPU.
func gpuSortKey(g *api.GPUStatus) string {
	if g.ParentID != "" {
		return g.ParentID + "/" + g.ID
	}
	return g.ID
}

// gpuUsers renders a device's users as "1a2b3c4d train/fit (mps 50%)".
func gpuUsers(uses []*api.GPUUse) string {
	if len(uses) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(uses))
	for _, u := range uses {
		s := fmt.Sprintf("%s %s/%s", shortID(u.AllocID), u.JobID, u.Task)
		switch u.Sharing {
		case api.SharingMPS:
			s += fmt.Sprintf(" (mps %d%%)", u.MPSComputePercent)
		case api.SharingTimeslice:
			s += " (timeslice)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
