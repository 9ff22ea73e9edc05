package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/server"
)

// envAddress names the environment variable holding the default agent
// address.
const envAddress = "CONSTELLATION_ADDR"

// exitError is an error that asks for a particular exit status; its
// message has already been printed when msg is empty.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// newRootCmd returns the constellation command with every verb added.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "constellation",
		Short:         "Constellation cluster scheduler",
		Version:       server.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addr := os.Getenv(envAddress)
	if addr == "" {
		addr = api.DefaultAddress
	}
	root.PersistentFlags().String("address", addr,
		"HTTP address of a Constellation agent (default from $"+envAddress+")")

	root.AddCommand(
		newAgentCmd(),
		newJobCmd(),
		newAllocCmd(),
		newNodeCmd(),
		newServerCmd(),
		newOperatorCmd(),
		newStatusCmd(),
		newGPUCmd(),
	)
	// Declare the version flag now rather than at execution, so that the
	// one-dash spelling -version is recognised too.
	root.InitDefaultVersionFlag()
	return root
}

// execute runs the command line and returns the exit status.
func execute(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(normalizeArgs(root, args))
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, "Error:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	return 1
}

// singleDash matches a long flag written with one dash, as in -address.
var singleDash = regexp.MustCompile(`^-([A-Za-z][A-Za-z0-9_-]+)(=.*)?$`)

// normalizeArgs lets long flags be written with one dash (-address, -purge),
// as the rest of the documentation does, by doubling the dash of every
// single-dash word that names a long flag of some command. Words after
// "--" are left alone.
func normalizeArgs(root *cobra.Command, args []string) []string {
	long := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		visit := func(f *pflag.Flag) { long[f.Name] = true }
		c.Flags().VisitAll(visit)
		c.PersistentFlags().VisitAll(visit)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)

	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if m := singleDash.FindStringSubmatch(a); m != nil && long[m[1]] {
			a = "-" + a
		}
		out = append(out, a)
	}
	return out
}

// newJobCmd returns the "job" command and its verbs.
func newJobCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "job", Short: "Run, inspect, scale and stop jobs"}
	cmd.AddCommand(newJobRunCmd(), newJobStatusCmd(), newJobStopCmd(),
		newJobVersionsCmd(), newJobScaleCmd(), newJobValidateCmd())
	return cmd
}

// newAllocCmd returns the "alloc" command and its verbs.
func newAllocCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "alloc", Short: "Inspect allocations and read their logs"}
	cmd.AddCommand(newAllocStatusCmd(), newAllocLogsCmd())
	return cmd
}

// newNodeCmd returns the "node" command and its verbs.
func newNodeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "node", Short: "Inspect and drain client nodes"}
	cmd.AddCommand(newNodeStatusCmd(), newNodeDrainCmd())
	return cmd
}

// newServerCmd returns the "server" command and its verbs.
func newServerCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "server", Short: "Inspect the cluster's servers"}
	cmd.AddCommand(newServerMembersCmd())
	return cmd
}

// newOperatorCmd returns the "operator" command and its verbs.
func newOperatorCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "operator", Short: "Cluster operator tools"}
	raft := &cobra.Command{Use: "raft", Short: "Inspect the Raft configuration"}
	raft.AddCommand(newRaftListPeersCmd())
	cmd.AddCommand(raft)
	return cmd
}

// newGPUCmd returns the "gpu" command and its verbs.
func newGPUCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "gpu", Short: "Inspect the cluster's GPUs"}
	cmd.AddCommand(newGPUStatusCmd())
	return cmd
}

// apiClient returns a client for the agent named by -address.
func apiClient(cmd *cobra.Command) *api.Client {
	addr, _ := cmd.Flags().GetString("address")
	return api.NewClient(addr)
}
