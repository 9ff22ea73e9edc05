package server

import (
	"errors"
	"fmt"
	"time"
)

// Config sets up a server agent.
type Config struct {
	// Name identifies the server in gossip and in the Raft configuration;
	// it must be unique in the cluster.
	Name       string
	Datacenter string
	// DataDir holds the Raft log, stable store and snapshots.
	DataDir string
	// BindAddr is the address the Raft and gossip listeners bind.
	BindAddr string
	// AdvertiseAddr is the address other agents reach this one at; it
	// defaults to BindAddr.
	AdvertiseAddr string
	RaftPort      int
	// HTTPAddr is the host:port this agent's HTTP API is reachable at, as
	// advertised to others.
	HTTPAddr string
	// BootstrapExpect is how many servers must see each other before Raft
	// is bootstrapped.
	BootstrapExpect int
	// HeartbeatTTL is how long a client may stay silent before it is
	// marked down.
	HeartbeatTTL time.Duration
	// NumWorkers is the number of scheduling workers on the leader.
	NumWorkers int
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// DeadServerGrace is how long a failed server stays in the Raft
	// configuration before the leader removes it (never below
	// BootstrapExpect voters).
	DeadServerGrace time.Duration
	// Dev tunes timings for a single-process development agent.
	Dev bool
}

// DefaultConfig returns a server configuration with production timings.
func DefaultConfig() Config {
	return Config{
		Datacenter:      "dc1",
		BindAddr:        "127.0.0.1",
		RaftPort:        7481,
		BootstrapExpect: 1,
		HeartbeatTTL:    10 * time.Second,
		NumWorkers:      2,
		MaxBodyBytes:    1 << 20,
		DeadServerGrace: 2 * time.Minute,
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("server name is missing: set -name"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("server data dir is missing: set -data-dir"))
	}
	if c.BootstrapExpect < 1 {
		errs = append(errs, fmt.Errorf("bootstrap-expect %d must be at least 1", c.BootstrapExpect))
	}
	if c.RaftPort <= 0 || c.RaftPort > 65535 {
		errs = append(errs, fmt.Errorf("raft port %d is not a port", c.RaftPort))
	}
	if c.HeartbeatTTL <= 0 {
		errs = append(errs, errors.New("heartbeat TTL must be positive"))
	}
	if c.NumWorkers < 1 {
		c.NumWorkers = 1
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.AdvertiseAddr == "" {
		c.AdvertiseAddr = c.BindAddr
	}
	return errors.Join(errs...)
}
