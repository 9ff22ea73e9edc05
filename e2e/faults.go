//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Partition cuts the network between the agents of side a and those of
// side b, both ways, with iptables rules in each agent's namespace. The
// test process (on the host) still reaches every agent.
func (c *Cluster) Partition(ctx context.Context, a, b []*Agent) error {
	for _, x := range a {
		if err := dropFrom(ctx, x, b); err != nil {
			return err
		}
	}
	for _, y := range b {
		if err := dropFrom(ctx, y, a); err != nil {
			return err
		}
	}
	return nil
}

// PartitionOneWay drops every packet from the agents of from arriving at
// to, while packets from to still reach them.
func (c *Cluster) PartitionOneWay(ctx context.Context, from []*Agent, to *Agent) error {
	return dropFrom(ctx, to, from)
}

// dropFrom makes x drop every packet arriving from the agents of peers.
func dropFrom(ctx context.Context, x *Agent, peers []*Agent) error {
	for _, p := range peers {
		if _, err := x.inNetns(ctx, "iptables", "-w", "-A", "INPUT", "-s", p.IP, "-j", "DROP"); err != nil {
			return fmt.Errorf("partition %s from %s: %w", x.Name, p.Name, err)
		}
	}
	return nil
}

// Degradation says what Degrade could apply on this kernel.
type Degradation struct {
	// Loss is the fraction of packets dropped between servers.
	Loss float64
	// Delay is the latency added between servers; zero when the kernel
	// has no netem qdisc.
	Delay time.Duration
	// How names the mechanism: "tc netem", or "iptables statistic" when
	// netem is missing.
	How string
}

// String describes the degradation for the report.
func (d Degradation) String() string {
	s := fmt.Sprintf("%.0f%% loss", d.Loss*100)
	if d.Delay > 0 {
		s += fmt.Sprintf(" + %v latency", d.Delay)
	} else {
		s += " (no latency: kernel lacks sch_netem)"
	}
	return s + " via " + d.How
}

// Degrade adds packet loss and latency to the traffic between the given
// servers. It uses tc netem on packets bound for the other servers; when
// the kernel lacks the netem qdisc it falls back to dropping incoming
// packets with the iptables statistic match and adds no latency.
func (c *Cluster) Degrade(ctx context.Context, servers []*Agent, loss float64, delay time.Duration) (Degradation, error) {
	d := Degradation{Loss: loss, Delay: delay, How: "tc netem"}
	err := netem(ctx, servers[0], servers, loss, delay)
	if err != nil && strings.Contains(err.Error(), "qdisc kind is unknown") {
		// TODO: add latency without netem (a delaying proxy in front of
		// the Raft and gossip ports) for kernels built without sch_netem.
		d.Delay, d.How = 0, "iptables statistic"
		for _, s := range servers {
			if err := randomDrop(ctx, s, servers, loss); err != nil {
				return d, err
			}
		}
		return d, nil
	}
	if err != nil {
		return d, err
	}
	for _, s := range servers[1:] {
		if err := netem(ctx, s, servers, loss, delay); err != nil {
			return d, err
		}
	}
	return d, nil
}

// netem shapes x's outgoing packets to the other servers: a prio qdisc
// whose third band carries netem, and a u32 filter per peer address.
func netem(ctx context.Context, x *Agent, peers []*Agent, loss float64, delay time.Duration) error {
	steps := [][]string{
		{"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "prio"},
		{"tc", "qdisc", "add", "dev", "eth0", "parent", "1:3", "handle", "30:", "netem",
			"delay", fmt.Sprintf("%dms", delay.Milliseconds()), "loss", fmt.Sprintf("%.0f%%", loss*100)},
	}
	for _, p := range peers {
		if p != x {
			steps = append(steps, []string{"tc", "filter", "add", "dev", "eth0", "protocol", "ip",
				"parent", "1:0", "prio", "3", "u32", "match", "ip", "dst", p.IP + "/32", "flowid", "1:3"})
		}
	}
	for _, st := range steps {
		if _, err := x.inNetns(ctx, st...); err != nil {
			_, _ = x.inNetns(ctx, "tc", "qdisc", "del", "dev", "eth0", "root")
			return fmt.Errorf("degrade %s: %w", x.Name, err)
		}
	}
	return nil
}

// randomDrop makes x drop the given fraction of packets from the peers.
func randomDrop(ctx context.Context, x *Agent, peers []*Agent, loss float64) error {
	for _, p := range peers {
		if p == x {
			continue
		}
		_, err := x.inNetns(ctx, "iptables", "-w", "-A", "INPUT", "-s", p.IP, "-m", "statistic",
			"--mode", "random", "--probability", fmt.Sprintf("%.2f", loss), "-j", "DROP")
		if err != nil {
			return fmt.Errorf("degrade %s: %w", x.Name, err)
		}
	}
	return nil
}

// Heal removes every partition and degradation from every running agent.
func (c *Cluster) Heal(ctx context.Context) error {
	for _, a := range c.agents {
		if _, err := a.pid(ctx); err != nil {
			continue // not running: nothing to heal
		}
		if _, err := a.inNetns(ctx, "iptables", "-w", "-F", "INPUT"); err != nil {
			return fmt.Errorf("heal %s: %w", a.Name, err)
		}
		// No qdisc is the common case; its error is not a failure.
		_, _ = a.inNetns(ctx, "tc", "qdisc", "del", "dev", "eth0", "root")
	}
	return nil
}
