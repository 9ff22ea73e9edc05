package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/api"
)

// logPollInterval is how often -f fetches the log again.
const logPollInterval = time.Second

func newAllocLogsCmd() *cobra.Command {
	var stderr, follow bool
	cmd := &cobra.Command{
		Use:   "logs [-stderr] [-f] ID [TASK]",
		Short: "Print a task's stdout (or stderr)",
		Long: `Print the output of a task of an allocation. TASK may be left out when
the allocation has a single task. -f keeps printing new output until the
allocation finishes or the command is interrupted.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c := apiClient(cmd)
			alloc, _, err := c.Allocation(ctx, args[0], nil)
			if err != nil {
				return fmt.Errorf("read allocation %q: %w", args[0], err)
			}
			task := ""
			if len(args) == 2 {
				task = args[1]
			}
			task, err = pickTask(alloc, task)
			if err != nil {
				return err
			}
			stream := "stdout"
			if stderr {
				stream = "stderr"
			}
			src := &logSource{agent: c, alloc: alloc, task: task, stream: stream}
			if !follow {
				buf, err := src.fetch(ctx)
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(buf)
				return err
			}
			return followLogs(ctx, src, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&stderr, "stderr", false, "print stderr instead of stdout")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow the log as it grows")
	return cmd
}

// pickTask checks the task name, or picks the only task.
func pickTask(alloc *api.Allocation, task string) (string, error) {
	names := taskNames(alloc)
	if task == "" {
		if len(names) == 1 {
			return names[0], nil
		}
		return "", fmt.Errorf("allocation %s has several tasks; name one of: %s",
			shortID(alloc.ID), strings.Join(names, ", "))
	}
	for _, n := range names {
		if n == task {
			return task, nil
		}
	}
	return "", fmt.Errorf("allocation %s has no task %q; its tasks are: %s",
		shortID(alloc.ID), task, strings.Join(names, ", "))
}

// logSource fetches one task log: from the agent named by -address (a
// server forwards it to the node), or straight from the node when that
// fails.
type logSource struct {
	agent  *api.Client
	alloc  *api.Allocation
	task   string
	stream string
	node   *api.Client
}

func (s *logSource) fetch(ctx context.Context) ([]byte, error) {
	var buf bytes.Buffer
	err := s.agent.AllocLogs(ctx, s.alloc.ID, s.task, s.stream, &buf)
	if err == nil {
		return buf.Bytes(), nil
	}
	if node := s.nodeClient(ctx); node != nil {
		buf.Reset()
		if nerr := node.AllocLogs(ctx, s.alloc.ID, s.task, s.stream, &buf); nerr == nil {
			return buf.Bytes(), nil
		}
	}
	return nil, fmt.Errorf("read %s of task %q: %w", s.stream, s.task, err)
}

// nodeClient returns a client for the allocation's node, when it
// advertises an address other than the agent's.
func (s *logSource) nodeClient(ctx context.Context) *api.Client {
	if s.node != nil {
		return s.node
	}
	node, _, err := s.agent.Node(ctx, s.alloc.NodeID, nil)
	if err != nil || node.HTTPAddr == "" {
		return nil
	}
	c := api.NewClient(node.HTTPAddr)
	if c.Address() == s.agent.Address() {
		return nil
	}
	s.node = c
	return c
}

// followLogs prints the log, then what is added to it, until the
// allocation is finished and its log fully printed, or ctx ends.
//
// TODO: each poll fetches the whole log; an offset parameter on the API
// client would fetch only the new bytes.
func followLogs(ctx context.Context, src *logSource, w io.Writer) error {
	var printed int
	for {
		done := false
		if alloc, _, err := src.agent.Allocation(ctx, src.alloc.ID, nil); err == nil {
			done = alloc.ClientTerminal()
		}
		buf, err := src.fetch(ctx)
		if err != nil {
			return err
		}
		if len(buf) < printed {
			printed = 0 // the log was replaced
		}
		if _, err := w.Write(buf[printed:]); err != nil {
			return err
		}
		printed = len(buf)
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(logPollInterval):
		}
	}
}
