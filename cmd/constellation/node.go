package main

import "github.com/spf13/cobra"

// newNodeCmd returns the "node" command and its verbs.
func newNodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Inspect and drain client nodes",
	}
	cmd.AddCommand(newNodeStatusCmd(), newNodeDrainCmd())
	return cmd
}
