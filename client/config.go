package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

// Default timings, used where Config leaves a field zero.
const (
	defaultWatchWait      = 2 * time.Minute
	defaultUpdateInterval = 250 * time.Millisecond
	defaultRetryMin       = 250 * time.Millisecond
	defaultRetryMax       = 15 * time.Second
	defaultDeviceInterval = 10 * time.Second
	defaultHeartbeatTTL   = 10 * time.Second
	defaultKillTimeout    = 5 * time.Second
)

// ErrNoServers is returned when a request to the servers is made while
// Config.Servers lists none.
var ErrNoServers = errors.New("no servers known; give the client a server address")

// Devices is a node's device inventory, such as its GPUs. client/gpu's
// Inventory satisfies it.
type Devices interface {
	// Groups returns the node's device groups as they are now.
	Groups() []*api.DeviceGroup
	// Mocked reports whether the devices come from a simulated server
	// rather than real hardware.
	Mocked() bool
	// WatchHealth checks device health every interval until ctx ends,
	// calling onChange with the new groups whenever health changes.
	WatchHealth(ctx context.Context, interval time.Duration, onChange func([]*api.DeviceGroup))
}

// Config configures a client agent.
type Config struct {
	// DataDir holds the node ID, the state file and the allocation
	// directories. Required.
	DataDir string
	// NodeName names the node; the host name when empty.
	NodeName string
	// Datacenter is the node's datacenter; "dc1" when empty.
	Datacenter string
	// NodeID fixes the node's ID. When empty the ID stored in DataDir is
	// used, or a new one is made and stored, so that a restarted client
	// keeps its identity.
	NodeID string
	// Servers returns the HTTP addresses of the servers to try. It is
	// called before each round of requests so that the caller can refresh
	// it from gossip. Required.
	Servers func() []string
	// HTTPAddr is the host:port where this agent serves Handler; it is
	// advertised to the servers so that they can reach the logs.
	HTTPAddr string
	// Drivers are the task drivers this node offers.
	Drivers []drivers.Driver
	// Meta is free-form node metadata used by constraints.
	Meta map[string]string
	// Devices is the node's device inventory; nil for none.
	Devices Devices

	// WatchWait bounds each blocking query on the node's allocations.
	WatchWait time.Duration
	// UpdateInterval is the least time between two status updates sent
	// to the servers.
	UpdateInterval time.Duration
	// RetryMin and RetryMax bound the backoff after a failed request.
	RetryMin, RetryMax time.Duration
	// DeviceHealthInterval is how often device health is checked.
	DeviceHealthInterval time.Duration
	// TelemetryInterval is how often the node, its running tasks and its
	// GPUs are sampled and the samples sent to the servers; 5s when zero,
	// and no telemetry at all when negative.
	TelemetryInterval time.Duration
	// TelemetryBuffer bounds the samples kept while the servers cannot
	// be reached; the oldest are dropped past it. 20000 when zero.
	TelemetryBuffer int
}

// validate checks required fields and fills defaults.
func (c *Config) validate() error {
	if c.DataDir == "" {
		return fmt.Errorf("client config: data dir is empty; set a directory for client state")
	}
	if c.Servers == nil {
		return fmt.Errorf("client config: no server source; set Servers")
	}
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	setDefault(&c.WatchWait, defaultWatchWait)
	setDefault(&c.UpdateInterval, defaultUpdateInterval)
	setDefault(&c.RetryMin, defaultRetryMin)
	setDefault(&c.RetryMax, defaultRetryMax)
	setDefault(&c.DeviceHealthInterval, defaultDeviceInterval)
	if c.TelemetryInterval == 0 {
		c.TelemetryInterval = defaultTelemetryInterval
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = c.RetryMin
	}
	seen := map[string]bool{}
	for _, d := range c.Drivers {
		if d == nil {
			return fmt.Errorf("client config: a nil driver is listed")
		}
		if seen[d.Name()] {
			return fmt.Errorf("client config: driver %q is listed twice", d.Name())
		}
		seen[d.Name()] = true
	}
	return nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}
