//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// Agent roles.
const (
	roleServer = "server"
	roleClient = "client"
)

// apiTimeout bounds one API call of the workload or of a check; a call
// that runs past it is recorded as unknown.
const apiTimeout = 4 * time.Second

// Agent is one constellation agent in its own container, with its own
// hostname and a fixed address on the run's network. Its data directory
// is a volume of the container, so it survives kill and restart.
type Agent struct {
	// Name is the agent's name, its container hostname and its Raft ID.
	Name string
	// Role is server or client.
	Role string
	// IP is the container's fixed address on the run's network.
	IP string
	// Container is the Docker container name.
	Container string

	api *api.Client
}

// newAgent returns the agent description; the container is created by
// the cluster.
func newAgent(name, role, ip string) *Agent {
	// A dead container's address answers nothing (no ARP reply), so dial
	// with a short timeout of its own: a failed dial is a clean failure.
	dialer := &net.Dialer{Timeout: time.Second}
	hc := &http.Client{Timeout: apiTimeout, Transport: &http.Transport{DialContext: dialer.DialContext}}
	return &Agent{
		Name: name, Role: role, IP: ip,
		Container: runPrefix + "-" + name,
		api:       api.NewClient("http://" + ip + ":7480").WithHTTPClient(hc),
	}
}

// API returns an API client for the agent's HTTP port.
func (a *Agent) API() *api.Client { return a.api }

// RaftAddr returns the address the agent's Raft transport advertises.
func (a *Agent) RaftAddr() string { return a.IP + ":7481" }

// String returns the agent's name.
func (a *Agent) String() string { return a.Name }

// Kill sends SIGKILL to the agent (docker kill): no shutdown, no flush.
func (a *Agent) Kill(ctx context.Context) error {
	_, err := docker(ctx, "kill", "-s", "KILL", a.Container)
	return err
}

// Stop stops the agent gracefully (SIGTERM, then SIGKILL after 10s).
func (a *Agent) Stop(ctx context.Context) error {
	_, err := docker(ctx, "stop", "-t", "10", a.Container)
	return err
}

// Start starts a stopped or killed agent again, on the same data
// directory and address.
func (a *Agent) Start(ctx context.Context) error {
	_, err := docker(ctx, "start", a.Container)
	return err
}

// Pause freezes every process of the container (the cgroup freezer): the
// agent stops answering but its sockets stay open.
func (a *Agent) Pause(ctx context.Context) error {
	_, err := docker(ctx, "pause", a.Container)
	return err
}

// Unpause thaws a paused agent.
func (a *Agent) Unpause(ctx context.Context) error {
	_, err := docker(ctx, "unpause", a.Container)
	return err
}

// pid returns the host PID of the container's main process, used to
// enter its network namespace.
func (a *Agent) pid(ctx context.Context) (int, error) {
	out, err := docker(ctx, "inspect", "-f", "{{.State.Pid}}", a.Container)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(out)
	if err != nil || pid == 0 {
		return 0, fmt.Errorf("container %s is not running (pid %q)", a.Container, out)
	}
	return pid, nil
}

// inNetns runs a host command (iptables, tc) inside the agent's network
// namespace.
func (a *Agent) inNetns(ctx context.Context, args ...string) (string, error) {
	pid, err := a.pid(ctx)
	if err != nil {
		return "", err
	}
	return nsenterNet(ctx, pid, args...)
}

// logs returns the container's output.
func (a *Agent) logs(ctx context.Context) string {
	out, err := runCmd(ctx, "sh", "-c", "docker logs "+a.Container+" 2>&1")
	if err != nil {
		return err.Error()
	}
	return out
}
