package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

func newServerMembersCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "members",
		Short: "List the servers in the gossip pool (-all: clients too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			members, err := apiClient(cmd).Members(cmd.Context())
			if err != nil {
				return fmt.Errorf("list members: %w", err)
			}
			formatMembers(cmd.OutOrStdout(), members, all)
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list clients as well as servers")
	return cmd
}

// formatMembers prints one row per gossip member, servers only unless
// all is set.
func formatMembers(w io.Writer, members []*api.Member, all bool) {
	var shown []*api.Member
	for _, m := range members {
		if all || m.Role == "server" {
			shown = append(shown, m)
		}
	}
	if len(shown) == 0 {
		fmt.Fprintln(w, "No members known")
		return
	}
	sort.Slice(shown, func(i, j int) bool { return shown[i].Name < shown[j].Name })
	t := newTable(w, "Name", "Address", "Port", "Status", "Role", "Datacenter", "HTTP", "Raft")
	for _, m := range shown {
		t.row(m.Name, m.Addr, fmt.Sprint(m.Port), m.Status, orDash(m.Role),
			orDash(m.Tags["dc"]), orDash(m.HTTPAddr), orDash(m.RaftAddr))
	}
	t.flush()
}
