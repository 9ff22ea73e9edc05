package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsimple"
)

// agentConfig is what `constellation agent` runs with: flags, or a config
// file (HCL or JSON) with the same keys.
type agentConfig struct {
	Dev             bool     `hcl:"dev,optional" json:"dev"`
	Server          bool     `hcl:"server,optional" json:"server"`
	Client          bool     `hcl:"client,optional" json:"client"`
	Name            string   `hcl:"name,optional" json:"name"`
	Datacenter      string   `hcl:"datacenter,optional" json:"datacenter"`
	DataDir         string   `hcl:"data_dir,optional" json:"data_dir"`
	Bind            string   `hcl:"bind,optional" json:"bind"`
	Advertise       string   `hcl:"advertise,optional" json:"advertise"`
	HTTPPort        int      `hcl:"http_port,optional" json:"http_port"`
	RaftPort        int      `hcl:"raft_port,optional" json:"raft_port"`
	GossipPort      int      `hcl:"gossip_port,optional" json:"gossip_port"`
	Join            []string `hcl:"join,optional" json:"join"`
	Servers         []string `hcl:"servers,optional" json:"servers"`
	BootstrapExpect int      `hcl:"bootstrap_expect,optional" json:"bootstrap_expect"`
	HeartbeatTTL    string   `hcl:"heartbeat_ttl,optional" json:"heartbeat_ttl"`
	GPUMock         string   `hcl:"gpu_mock,optional" json:"gpu_mock"`
	SysfsRoot       string   `hcl:"sysfs_root,optional" json:"sysfs_root"`
	LogLevel        string   `hcl:"log_level,optional" json:"log_level"`
	LogJSON         bool     `hcl:"log_json,optional" json:"log_json"`
}

func defaultAgentConfig() agentConfig {
	host, _ := os.Hostname()
	return agentConfig{
		Name:            host,
		Datacenter:      "dc1",
		Bind:            "127.0.0.1",
		HTTPPort:        7480,
		RaftPort:        7481,
		GossipPort:      7482,
		BootstrapExpect: 1,
		HeartbeatTTL:    "10s",
		LogLevel:        "info",
	}
}

// loadConfigFile reads an HCL (.hcl) or JSON (.json) agent config file
// over cfg.
func loadConfigFile(path string, cfg *agentConfig) error {
	if err := hclsimple.DecodeFile(path, nil, cfg); err != nil {
		return fmt.Errorf("read agent config %s: %w", path, err)
	}
	return nil
}

// finish fills in what dev mode implies and checks the result.
func (c *agentConfig) finish() error {
	if c.Dev {
		c.Server, c.Client = true, true
		// A name left at its default, the hostname, becomes "dev".
		if host, _ := os.Hostname(); c.Name == "" || c.Name == host {
			c.Name = "dev"
		}
		c.BootstrapExpect = 1
		if c.HeartbeatTTL == "10s" {
			c.HeartbeatTTL = "5s"
		}
	}
	var errs []error
	if !c.Server && !c.Client {
		errs = append(errs, errors.New("the agent runs nothing: pass -server, -client or -dev"))
	}
	if !c.Dev && c.DataDir == "" {
		errs = append(errs, errors.New("-data-dir is required outside -dev mode"))
	}
	for name, port := range map[string]int{"http": c.HTTPPort, "raft": c.RaftPort, "gossip": c.GossipPort} {
		if port < 1 || port > 65535 {
			errs = append(errs, fmt.Errorf("-%s-port %d is not a port number", name, port))
		}
	}
	if net.ParseIP(c.Bind) == nil {
		errs = append(errs, fmt.Errorf("-bind %q is not an IP address", c.Bind))
	}
	if c.Advertise == "" {
		c.Advertise = c.Bind
		if c.Bind == "0.0.0.0" {
			c.Advertise = firstPrivateIP()
		}
	}
	return errors.Join(errs...)
}

func (c *agentConfig) httpAddr() string {
	return net.JoinHostPort(c.Advertise, strconv.Itoa(c.HTTPPort))
}

// joinAddrs adds the default gossip port to join addresses without one.
func (c *agentConfig) joinAddrs() []string {
	var out []string
	for _, j := range c.Join {
		for _, a := range strings.Split(j, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			if _, _, err := net.SplitHostPort(a); err != nil {
				a = net.JoinHostPort(a, "7482")
			}
			out = append(out, a)
		}
	}
	return out
}

// firstPrivateIP picks the first non-loopback IPv4 address, for agents
// bound to every interface.
func firstPrivateIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.String()
		}
	}
	return "127.0.0.1"
}
