package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

func newNodeStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status [ID]",
		Short: "List nodes, or show one node with its resources and allocations",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := apiClient(cmd)
			ctx, w := cmd.Context(), cmd.OutOrStdout()
			if len(args) == 0 {
				nodes, _, err := c.Nodes(ctx, nil)
				if err != nil {
					return fmt.Errorf("list nodes: %w", err)
				}
				formatNodeList(w, nodes)
				return nil
			}
			node, _, err := c.Node(ctx, args[0], nil)
			if err != nil {
				return fmt.Errorf("read node %q: %w", args[0], err)
			}
			allocs, _, err := c.NodeAllocations(ctx, node.ID, nil)
			if err != nil {
				return fmt.Errorf("list allocations of node %s: %w", shortID(node.ID), err)
			}
			formatNodeStatus(w, node, allocs, time.Now())
			return nil
		},
	}
}

// formatNodeList prints one row per node.
func formatNodeList(w io.Writer, nodes []*api.NodeListStub) {
	if len(nodes) == 0 {
		fmt.Fprintln(w, "No nodes registered")
		return
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	t := newTable(w, "ID", "Name", "Datacenter", "Drain", "Eligibility", "Status")
	for _, n := range nodes {
		t.row(shortID(n.ID), n.Name, n.Datacenter, fmt.Sprint(n.Drain), orDash(n.Eligibility), n.Status)
	}
	t.flush()
}

// formatNodeStatus prints a node: identity, resources, devices,
// attributes and the allocations placed on it.
func formatNodeStatus(w io.Writer, n *api.Node, allocs []*api.Allocation, now time.Time) {
	kv(w,
		"ID", n.ID,
		"Name", n.Name,
		"Datacenter", n.Datacenter,
		"Status", n.Status,
		"Status Description", orDash(n.StatusDescription),
		"Drain", fmt.Sprint(n.Drain),
		"Eligibility", orDash(n.Eligibility),
		"HTTP Address", orDash(n.HTTPAddr),
		"Drivers", orDash(strings.Join(n.Drivers, ", ")),
	)
	if r := n.Resources; r != nil {
		fmt.Fprintf(w, "\nResources\nCPU %d MHz, Memory %d MiB\n", r.CPU, r.MemoryMB)
		if len(r.Devices) > 0 {
			fmt.Fprintln(w, "\nDevices")
			formatDeviceGroups(w, r.Devices, r.DevicesMocked)
		}
	}
	if len(n.Attributes) > 0 {
		fmt.Fprintln(w, "\nAttributes")
		pairs := make([]string, 0, 2*len(n.Attributes))
		for _, k := range sortedKeys(n.Attributes) {
			pairs = append(pairs, k, n.Attributes[k])
		}
		kv(w, pairs...)
	}
	if len(n.Meta) > 0 {
		fmt.Fprintln(w, "\nMeta")
		pairs := make([]string, 0, 2*len(n.Meta))
		for _, k := range sortedKeys(n.Meta) {
			pairs = append(pairs, k, n.Meta[k])
		}
		kv(w, pairs...)
	}
	fmt.Fprintln(w, "\nAllocations")
	if len(allocs) == 0 {
		fmt.Fprintln(w, "No allocations placed")
		return
	}
	stubs := make([]*api.AllocListStub, len(allocs))
	for i, a := range allocs {
		stubs[i] = a.Stub()
	}
	formatAllocList(w, stubs, now)
}

// formatDeviceGroups prints one row per device instance.
func formatDeviceGroups(w io.Writer, groups []*api.DeviceGroup, mocked bool) {
	t := newTable(w, "Device", "ID", "Parent", "Profile", "Memory MiB", "Healthy")
	for _, g := range groups {
		name := g.Vendor + "/" + g.Type + "/" + g.Model
		for _, in := range g.Instances {
			healthy := fmt.Sprint(in.Healthy)
			if !in.Healthy && in.HealthDescription != "" {
				healthy += " (" + in.HealthDescription + ")"
			}
			t.row(name, in.ID, orDash(in.ParentID), orDash(in.MIGProfile), fmt.Sprint(in.MemoryMB), healthy)
		}
	}
	t.flush()
	if mocked {
		fmt.Fprintln(w, "(devices are simulated)")
	}
}
