package main

import "github.com/spf13/cobra"

// newAllocCmd returns the "alloc" command and its verbs.
func newAllocCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alloc",
		Short: "Inspect allocations and read their logs",
	}
	cmd.AddCommand(newAllocStatusCmd(), newAllocLogsCmd())
	return cmd
}
