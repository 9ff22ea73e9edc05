package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

func newRaftListPeersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-peers",
		Short: "List the Raft peers and which one leads",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := apiClient(cmd).RaftConfiguration(cmd.Context())
			if err != nil {
				return fmt.Errorf("read raft configuration: %w", err)
			}
			formatRaftPeers(cmd.OutOrStdout(), cfg)
			return nil
		},
	}
}

// formatRaftPeers prints one row per Raft server.
func formatRaftPeers(w io.Writer, cfg *api.RaftConfiguration) {
	if len(cfg.Servers) == 0 {
		fmt.Fprintln(w, "No Raft peers")
		return
	}
	t := newTable(w, "Node", "Address", "State", "Voter")
	for _, s := range cfg.Servers {
		state := "follower"
		if s.Leader {
			state = "leader"
		}
		t.row(s.ID, s.Address, state, fmt.Sprint(s.Suffrage == "" || s.Suffrage == "Voter"))
	}
	t.flush()
}
