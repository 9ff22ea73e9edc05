package client

import (
	"context"
	"os"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// requestTimeout bounds each non-blocking request to a server.
const requestTimeout = 10 * time.Second

// buildNode fingerprints the machine into the node this client
// registers.
func (a *Agent) buildNode(ctx context.Context) *api.Node {
	fp := takeFingerprint(ctx, a.cfg.Drivers, a.logger)
	name := a.cfg.NodeName
	if name == "" {
		name, _ = os.Hostname()
	}
	var groups []*api.DeviceGroup
	if a.cfg.Devices != nil {
		groups = a.cfg.Devices.Groups()
	}
	meta := make(map[string]string, len(a.cfg.Meta))
	for k, v := range a.cfg.Meta {
		meta[k] = v
	}
	return &api.Node{
		ID:          a.nodeID,
		Name:        name,
		Datacenter:  a.cfg.Datacenter,
		HTTPAddr:    a.cfg.HTTPAddr,
		Attributes:  fp.Attributes,
		Meta:        meta,
		Resources:   nodeResources(fp, a.cfg.Devices, groups),
		Drivers:     fp.Drivers,
		Status:      api.NodeStatusReady,
		Eligibility: api.NodeEligible,
	}
}

func (a *Agent) setNode(n *api.Node) {
	a.mu.Lock()
	a.node = n
	a.mu.Unlock()
}

// devicesChanged takes new device groups from the inventory and registers
// the node again so that the scheduler sees their health.
func (a *Agent) devicesChanged(groups []*api.DeviceGroup) {
	a.mu.Lock()
	n := *a.node
	res := *n.Resources
	res.Devices = groups
	n.Resources = &res
	a.node = &n
	a.mu.Unlock()
	a.logger.Info("device health changed; registering the node again")
	select {
	case a.reregister <- struct{}{}:
	default:
	}
}

// register sends the node to a server and returns the heartbeat TTL.
func (a *Agent) register(ctx context.Context) (time.Duration, error) {
	node := a.Node()
	var resp *api.NodeRegisterResponse
	err := a.servers.Do(ctx, func(c *api.Client) error {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		var err error
		resp, err = c.RegisterNode(rctx, node)
		return err
	})
	if err != nil {
		return 0, err
	}
	a.servers.Learn(resp.Servers)
	a.registeredOnce.Do(func() { close(a.registered) })
	return ttlOf(resp), nil
}

// heartbeat tells a server the node is alive and returns the TTL. Each
// server tried gets at most timeout, so that a slow one leaves time to try
// another before the TTL runs out.
func (a *Agent) heartbeat(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	var resp *api.NodeRegisterResponse
	err := a.servers.Do(ctx, func(c *api.Client) error {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		var err error
		resp, err = c.Heartbeat(rctx, a.nodeID)
		return err
	})
	if err != nil {
		return 0, err
	}
	a.servers.Learn(resp.Servers)
	return ttlOf(resp), nil
}

func ttlOf(resp *api.NodeRegisterResponse) time.Duration {
	if resp.HeartbeatTTL <= 0 {
		return defaultHeartbeatTTL
	}
	return time.Duration(resp.HeartbeatTTL)
}

// heartbeatLoop registers the node, then heartbeats three times a TTL, on
// a fixed schedule whatever each heartbeat took. It
// registers again when a heartbeat finds the node unknown (the servers
// lost or garbage collected it) and when the devices changed.
func (a *Agent) heartbeatLoop(ctx context.Context) {
	backoff := a.cfg.RetryMin
	failing := false
	needRegister := true
	var ttl time.Duration
	for {
		var err error
		start := time.Now()
		if needRegister {
			ttl, err = a.register(ctx)
			if err == nil {
				needRegister = false
				a.logger.Info("node registered", "heartbeat_ttl", ttl)
			}
		} else {
			var next time.Duration
			next, err = a.heartbeat(ctx, min(requestTimeout, max(ttl/4, time.Second)))
			switch {
			case api.IsNotFound(err):
				a.logger.Warn("servers do not know this node; registering again")
				needRegister = true
				continue
			case err == nil:
				ttl = next
			}
		}
		if ctx.Err() != nil {
			return
		}

		// Pick the wait: a third of the TTL from this attempt's start when
		// all went well, a growing backoff (never past a third of the TTL)
		// when it did not.
		wait := max(ttl/3-time.Since(start), 0)
		if err != nil {
			if !failing {
				a.logger.Warn("reach servers", "error", err)
			}
			failing = true
			wait = backoff
			if ttl > 0 {
				wait = min(wait, ttl/3)
			}
			backoff = min(2*backoff, a.cfg.RetryMax)
		} else {
			if failing {
				a.logger.Info("servers reachable again")
			}
			failing = false
			backoff = a.cfg.RetryMin
		}

		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.reregister:
			needRegister = true
		case <-t.C:
		}
		t.Stop()
	}
}
