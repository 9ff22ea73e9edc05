package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/constellation-sched/constellation/client"
	"github.com/constellation-sched/constellation/internal/gossip"
	"github.com/constellation-sched/constellation/server"
)

func newAgentCmd() *cobra.Command {
	cfg := defaultAgentConfig()
	var configFile string
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a server agent, a client agent, or both (-dev)",
		Long: `Run a Constellation agent.

  constellation agent -dev
      one server and one client in one process, HTTP API on 127.0.0.1:7480,
      data in a temporary directory.

  constellation agent -server -name s1 -data-dir /var/lib/c/s1 -bootstrap-expect 3 -join 10.0.0.2
  constellation agent -client -name c1 -data-dir /var/lib/c/c1 -join 10.0.0.2
      a real cluster: servers find each other by gossip and bootstrap Raft once
      bootstrap-expect of them are seen; clients learn the servers from gossip.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configFile != "" {
				fileCfg := defaultAgentConfig()
				if err := loadConfigFile(configFile, &fileCfg); err != nil {
					return err
				}
				// Flags given on the command line win over the file.
				applyChangedFlags(cmd, &fileCfg, &cfg)
				cfg = fileCfg
			}
			if err := cfg.finish(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runAgent(ctx, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "agent config file (HCL or JSON) with the same keys as the flags")
	f.BoolVar(&cfg.Dev, "dev", false, "run one server and one client in one process with a temporary data dir")
	f.BoolVar(&cfg.Server, "server", false, "run a server")
	f.BoolVar(&cfg.Client, "client", false, "run a client")
	f.StringVar(&cfg.Name, "name", cfg.Name, "agent name, unique in the cluster")
	f.StringVar(&cfg.Datacenter, "datacenter", cfg.Datacenter, "datacenter")
	f.StringVar(&cfg.DataDir, "data-dir", "", "directory for Raft data, allocations and state")
	f.StringVar(&cfg.Bind, "bind", cfg.Bind, "address to bind the HTTP, Raft and gossip listeners to")
	f.StringVar(&cfg.Advertise, "advertise", "", "address other agents reach this one at (default: -bind)")
	f.IntVar(&cfg.HTTPPort, "http-port", cfg.HTTPPort, "HTTP API port")
	f.IntVar(&cfg.RaftPort, "raft-port", cfg.RaftPort, "Raft port (servers)")
	f.IntVar(&cfg.GossipPort, "gossip-port", cfg.GossipPort, "gossip port")
	f.StringSliceVar(&cfg.Join, "join", nil, "gossip address(es) of agents to join, host[:port]")
	f.StringSliceVar(&cfg.Servers, "servers", nil, "server HTTP addresses for a client, besides those gossip finds")
	f.IntVar(&cfg.BootstrapExpect, "bootstrap-expect", cfg.BootstrapExpect, "servers to wait for before bootstrapping Raft")
	f.StringVar(&cfg.HeartbeatTTL, "heartbeat-ttl", cfg.HeartbeatTTL, "how long a client may miss heartbeats before it is marked down")
	f.StringVar(&cfg.GPUMock, "gpu-mock", "", "simulate NVIDIA GPUs with one of go-nvml's mock servers (dgxa100, ...)")
	f.StringVar(&cfg.SysfsRoot, "sysfs-root", "", "root of the sysfs tree to find AMD and Intel GPUs in (default /sys)")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	f.BoolVar(&cfg.LogJSON, "log-json", false, "write logs as JSON")
	return cmd
}

// applyChangedFlags copies the flags set on the command line onto the
// config read from a file.
func applyChangedFlags(cmd *cobra.Command, dst, flags *agentConfig) {
	set := func(name string, apply func()) {
		if cmd.Flags().Changed(name) {
			apply()
		}
	}
	set("dev", func() { dst.Dev = flags.Dev })
	set("server", func() { dst.Server = flags.Server })
	set("client", func() { dst.Client = flags.Client })
	set("name", func() { dst.Name = flags.Name })
	set("datacenter", func() { dst.Datacenter = flags.Datacenter })
	set("data-dir", func() { dst.DataDir = flags.DataDir })
	set("bind", func() { dst.Bind = flags.Bind })
	set("advertise", func() { dst.Advertise = flags.Advertise })
	set("http-port", func() { dst.HTTPPort = flags.HTTPPort })
	set("raft-port", func() { dst.RaftPort = flags.RaftPort })
	set("gossip-port", func() { dst.GossipPort = flags.GossipPort })
	set("join", func() { dst.Join = flags.Join })
	set("servers", func() { dst.Servers = flags.Servers })
	set("bootstrap-expect", func() { dst.BootstrapExpect = flags.BootstrapExpect })
	set("heartbeat-ttl", func() { dst.HeartbeatTTL = flags.HeartbeatTTL })
	set("gpu-mock", func() { dst.GPUMock = flags.GPUMock })
	set("sysfs-root", func() { dst.SysfsRoot = flags.SysfsRoot })
	set("log-level", func() { dst.LogLevel = flags.LogLevel })
	set("log-json", func() { dst.LogJSON = flags.LogJSON })
}

func newLogger(cfg agentConfig) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// runAgent starts the configured parts, serves HTTP until ctx ends, then
// shuts everything down.
func runAgent(ctx context.Context, cfg agentConfig) error {
	logger := newLogger(cfg)
	if cfg.Dev && cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "constellation-dev-")
		if err != nil {
			return fmt.Errorf("create dev data dir: %w", err)
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	ttl, err := time.ParseDuration(cfg.HeartbeatTTL)
	if err != nil || ttl <= 0 {
		return fmt.Errorf("-heartbeat-ttl %q is not a positive duration such as 10s", cfg.HeartbeatTTL)
	}

	a := &agent{cfg: cfg, logger: logger}
	defer a.shutdown()
	if err := a.start(ctx, ttl); err != nil {
		return err
	}
	logger.Info("agent started", "name", cfg.Name, "http", cfg.httpAddr(), "server", cfg.Server,
		"client", cfg.Client, "data_dir", cfg.DataDir)
	fmt.Fprintf(os.Stderr, "==> Constellation agent %q: HTTP API on http://%s (server=%v client=%v)\n",
		cfg.Name, cfg.httpAddr(), cfg.Server, cfg.Client)

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
		return nil
	case err := <-a.httpErr:
		return fmt.Errorf("http server: %w", err)
	}
}

// agent holds the running parts of one agent process.
type agent struct {
	cfg     agentConfig
	logger  *slog.Logger
	server  *server.Server
	client  *client.Agent
	pool    *gossip.Pool
	http    *http.Server
	httpErr chan error
}

func (a *agent) start(ctx context.Context, ttl time.Duration) error {
	cfg := a.cfg
	if cfg.Server {
		sc := server.DefaultConfig()
		sc.Name, sc.Datacenter = cfg.Name, cfg.Datacenter
		sc.DataDir = filepath.Join(cfg.DataDir, "server")
		sc.BindAddr, sc.AdvertiseAddr = cfg.Bind, cfg.Advertise
		sc.RaftPort, sc.HTTPAddr = cfg.RaftPort, cfg.httpAddr()
		sc.BootstrapExpect, sc.HeartbeatTTL, sc.Dev = cfg.BootstrapExpect, ttl, cfg.Dev
		srv, err := server.New(sc, a.logger)
		if err != nil {
			return err
		}
		a.server = srv
	}

	if err := a.startGossip(); err != nil {
		return err
	}
	if a.server != nil {
		a.server.Start(a.pool)
	}
	if cfg.Client {
		cl, err := a.newClient()
		if err != nil {
			return err
		}
		a.client = cl
		if a.server != nil {
			a.server.SetLocalClient(cl.NodeID(), cl.Handler())
		}
	}
	if err := a.startHTTP(); err != nil {
		return err
	}
	if a.client != nil {
		if err := a.client.Start(ctx); err != nil {
			return fmt.Errorf("start client: %w", err)
		}
	}
	go a.joinLoop(ctx)
	return nil
}

func (a *agent) startGossip() error {
	cfg := a.cfg
	meta := gossip.Meta{Role: gossip.RoleClient, Datacenter: cfg.Datacenter, HTTPAddr: cfg.httpAddr()}
	if a.server != nil {
		meta.Role = gossip.RoleServer
		meta.RaftAddr = a.server.RaftAddr()
		meta.Bootstrap = cfg.BootstrapExpect
	}
	pool, err := gossip.New(gossip.Config{
		Name: cfg.Name, BindAddr: cfg.Bind, BindPort: cfg.GossipPort,
		AdvertiseAddr: cfg.Advertise, Meta: meta, Fast: cfg.Dev,
	}, a.logger)
	if err != nil {
		return err
	}
	a.pool = pool
	return nil
}

// joinLoop keeps trying to join the gossip pool until it has.
func (a *agent) joinLoop(ctx context.Context) {
	addrs := a.cfg.joinAddrs()
	if len(addrs) == 0 {
		return
	}
	for delay := time.Second; ; delay = min(delay*2, 30*time.Second) {
		n, err := a.pool.Join(addrs)
		if err == nil {
			a.logger.Info("joined gossip pool", "contacted", n)
			return
		}
		a.logger.Warn("join gossip pool failed; retrying", "error", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

func (a *agent) startHTTP() error {
	var h http.Handler
	if a.server != nil {
		h = a.server.Handler()
	} else {
		h = newClientOnlyHandler(a.client, a.pool, a.serverAddrs, a.logger)
	}
	addr := net.JoinHostPort(a.cfg.Bind, strconv.Itoa(a.cfg.HTTPPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for HTTP on %s: %w", addr, err)
	}
	a.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	a.httpErr = make(chan error, 1)
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.httpErr <- err
		}
	}()
	return nil
}

// serverAddrs lists the server HTTP addresses a client talks to: its own
// server in a combined agent, then those gossip knows, then -servers.
func (a *agent) serverAddrs() []string {
	var out []string
	if a.server != nil {
		out = append(out, a.cfg.httpAddr())
	}
	for _, m := range a.pool.Servers() {
		if m.HTTPAddr != "" && (a.server == nil || m.HTTPAddr != a.cfg.httpAddr()) {
			out = append(out, m.HTTPAddr)
		}
	}
	return append(out, a.cfg.Servers...)
}

func (a *agent) shutdown() {
	// A leader hands over first, so that the cluster keeps a leader while
	// this agent drains; then the pool learns that the agent left.
	if a.server != nil {
		a.server.Leave()
	}
	if a.client != nil {
		a.client.Shutdown()
	}
	if a.pool != nil {
		_ = a.pool.Leave(2 * time.Second)
	}
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = a.http.Shutdown(ctx)
		cancel()
	}
	if a.server != nil {
		if err := a.server.Shutdown(); err != nil {
			a.logger.Warn("server shutdown", "error", err)
		}
	}
}
