package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the Raft leader and peers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := apiClient(cmd)
			leader, err := c.Leader(cmd.Context())
			if err != nil {
				return fmt.Errorf("read leader: %w", err)
			}
			peers, err := c.Peers(cmd.Context())
			if err != nil {
				return fmt.Errorf("read peers: %w", err)
			}
			formatStatus(cmd.OutOrStdout(), c.Address(), leader, peers)
			return nil
		},
	}
}

// formatStatus prints the leader and the voting peers.
func formatStatus(w io.Writer, addr, leader string, peers []string) {
	if leader == "" {
		leader = "(no leader)"
	}
	kv(w, "Agent", addr, "Leader", leader, "Peers", fmt.Sprint(len(peers)))
	t := newTable(w)
	for _, p := range peers {
		role := "follower"
		if p == leader {
			role = "leader"
		}
		t.row("  "+p, role)
	}
	t.flush()
}
