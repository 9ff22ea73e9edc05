package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newNodeDrainCmd() *cobra.Command {
	var enable, disable bool
	cmd := &cobra.Command{
		Use:   "drain -enable|-disable ID",
		Short: "Turn draining on or off for a node",
		Long: `Draining a node marks it ineligible for new placements and moves its
allocations elsewhere; disabling it makes the node eligible again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if enable == disable {
				return errors.New("give exactly one of -enable or -disable")
			}
			c := apiClient(cmd)
			node, _, err := c.Node(cmd.Context(), args[0], nil)
			if err != nil {
				return fmt.Errorf("read node %q: %w", args[0], err)
			}
			if err := c.DrainNode(cmd.Context(), node.ID, enable); err != nil {
				return fmt.Errorf("drain node %s: %w", shortID(node.ID), err)
			}
			state := "enabled"
			if disable {
				state = "disabled"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Drain %s on node %q (%s)\n", state, shortID(node.ID), node.Name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&enable, "enable", false, "start draining the node")
	cmd.Flags().BoolVar(&disable, "disable", false, "stop draining the node")
	return cmd
}
