//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// labelKey labels every container and network the suite creates with the
// run's prefix, so that cleanup finds them all.
const labelKey = "constellation.e2e.run"

// pidLabel records the PID of the test process that owns a resource, so
// that a later run can remove what a killed run left behind.
const pidLabel = "constellation.e2e.pid"

// runPrefix names everything this test process creates.
var runPrefix = newRunPrefix()

// cleanupOnce guards the removal of the run's resources on a signal.
var cleanupOnce sync.Once

func newRunPrefix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "cst-e2e-" + hex.EncodeToString(b)
}

// docker runs the docker CLI and returns its trimmed standard output. The
// error carries the command and its standard error.
func docker(ctx context.Context, args ...string) (string, error) {
	return runCmd(ctx, "docker", args...)
}

// nsenterNet runs a command from the host inside the network namespace of
// the process pid, which is how the suite reaches a FROM scratch container
// that has no shell, iptables or tc of its own.
func nsenterNet(ctx context.Context, pid int, args ...string) (string, error) {
	full := append([]string{"-t", fmt.Sprint(pid), "-n"}, args...)
	return runCmd(ctx, "nsenter", full...)
}

func runCmd(ctx context.Context, name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "),
			err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// removeRunResources force-removes every container (with its volumes) and
// network labelled with this run's prefix.
func removeRunResources() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	filter := "label=" + labelKey + "=" + runPrefix
	if ids, err := docker(ctx, "ps", "-aq", "--filter", filter); err == nil && ids != "" {
		_, _ = docker(ctx, append([]string{"rm", "-fv"}, strings.Fields(ids)...)...)
	}
	if ids, err := docker(ctx, "network", "ls", "-q", "--filter", filter); err == nil && ids != "" {
		_, _ = docker(ctx, append([]string{"network", "rm"}, strings.Fields(ids)...)...)
	}
}

// runLabels are the labels of every resource this run creates.
func runLabels() []string {
	return []string{"--label", labelKey + "=" + runPrefix, "--label", fmt.Sprintf("%s=%d", pidLabel, os.Getpid())}
}

// pruneDeadRuns removes the containers and networks of earlier runs on
// this host whose test process is gone (killed by a timeout, say), where
// neither t.Cleanup nor the signal handler could run.
func pruneDeadRuns() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	format := `{{.ID}} {{.Label "` + pidLabel + `"}}`
	for _, kind := range [][]string{{"ps", "-a"}, {"network", "ls"}} {
		out, err := docker(ctx, append(kind, "--filter", "label="+labelKey, "--format", format)...)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) != 2 || processAlive(f[1]) {
				continue
			}
			if kind[0] == "ps" {
				_, _ = docker(ctx, "rm", "-fv", f[0])
			} else {
				_, _ = docker(ctx, "network", "rm", f[0])
			}
		}
	}
}

// processAlive reports whether a process with this PID exists.
func processAlive(pid string) bool {
	_, err := os.Stat("/proc/" + pid)
	return err == nil
}

// cleanupOnSignal removes the run's containers and network when the test
// process is interrupted, then exits: t.Cleanup does not run on SIGINT.
func cleanupOnSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		fmt.Fprintf(os.Stderr, "chaos: %v: removing containers and network of run %s\n", sig, runPrefix)
		cleanupOnce.Do(removeRunResources)
		os.Exit(130)
	}()
}

// imageName is the agent image the suite runs.
func imageName() string {
	if img := os.Getenv("CHAOS_IMAGE"); img != "" {
		return img
	}
	return "constellation:dev"
}
