package gpu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/constellation-sched/constellation/api"
)

// Device vendors and types as they appear in api.DeviceGroup.
const (
	VendorNVIDIA = "nvidia"
	VendorAMD    = "amd"
	VendorIntel  = "intel"
	TypeGPU      = "gpu"
	TypeMIG      = "mig"
)

// ErrUnknownMock is returned by Discover when Options.Mock names no mock
// server go-nvml ships.
var ErrUnknownMock = errors.New("unknown mock GPU server")

// Options says where Discover looks for devices.
type Options struct {
	// Mock, when set, replaces NVML by one of go-nvml's simulated servers:
	// "dgxa100", "dgxh100", "dgxh200", "dgxb200", or the same with "-mig"
	// for MIG enabled on two of the eight GPUs.
	Mock string
	// SysfsRoot is where sysfs is mounted; "/sys" when empty.
	SysfsRoot string
	// Logger receives discovery and health messages; slog.Default()
	// when nil.
	Logger *slog.Logger
}

// Inventory is the set of GPUs found on a node, with their health.
type Inventory struct {
	log  *slog.Logger
	lib  nvml.Interface // nil when NVML is absent
	mock *mockServer    // nil unless Options.Mock was set
	real bool           // lib is the real library, not a mock

	gpus    []*nvidiaGPU
	cards   []*drmGPU
	devices []*device // every schedulable instance, in discovery order

	// ctx ends when Close is called; wg counts running watchers.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards health and closed.
	mu sync.Mutex
	// health holds, per instance ID, why the instance is unhealthy.
	health map[string]*healthState
	closed bool
}

// device is one schedulable instance and the group it belongs to.
type device struct {
	vendor, typ, model string
	groupAttrs         map[string]string
	inst               api.DeviceInstance
}

// Discover finds the node's GPUs. A missing NVML library or a node without
// GPUs yields an empty inventory; only a bad Options value is an error.
func Discover(opts Options) (*Inventory, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	root := opts.SysfsRoot
	if root == "" {
		root = "/sys"
	}
	inv := &Inventory{log: log, health: make(map[string]*healthState)}
	inv.ctx, inv.cancel = context.WithCancel(context.Background())

	// NVIDIA, from the mock server or the real library.
	if opts.Mock != "" {
		ms, err := newMockServer(opts.Mock)
		if err != nil {
			return nil, fmt.Errorf("discover gpus: %w", err)
		}
		inv.mock, inv.lib = ms, ms.srv
	} else {
		inv.lib, inv.real = nvml.New(), true
	}
	if !inv.initNVML() {
		inv.lib = nil
	} else if err := inv.discoverNVIDIA(); err != nil {
		inv.log.Warn("nvidia gpu discovery failed", "error", err)
	}

	// AMD and Intel, from sysfs.
	if err := inv.discoverDRM(root); err != nil {
		inv.log.Warn("drm gpu discovery failed", "sysfs_root", root, "error", err)
	}
	inv.log.Info("gpus discovered", "instances", len(inv.devices),
		"nvidia_gpus", len(inv.gpus), "drm_gpus", len(inv.cards), "mocked", inv.Mocked())
	return inv, nil
}

// Groups returns the device groups for the node record, with each
// instance's current health. The result is a copy the caller may keep.
func (inv *Inventory) Groups() []*api.DeviceGroup {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return inv.groupsLocked()
}

// Mocked reports whether the NVIDIA devices come from a simulated server.
func (inv *Inventory) Mocked() bool {
	return inv.mock != nil
}

// Close stops the health watchers and shuts NVML down. It is safe to call
// more than once.
func (inv *Inventory) Close() error {
	inv.mu.Lock()
	if inv.closed {
		inv.mu.Unlock()
		return nil
	}
	inv.closed = true
	inv.mu.Unlock()

	inv.cancel()
	inv.wg.Wait()
	if inv.lib != nil {
		if ret := inv.lib.Shutdown(); ret != nvml.SUCCESS {
			return fmt.Errorf("shut down nvml: %w", ret)
		}
	}
	return nil
}

// groupsLocked builds the groups, one per (vendor, type, model), in the
// order their first instance was found.
func (inv *Inventory) groupsLocked() []*api.DeviceGroup {
	var groups []*api.DeviceGroup
	index := make(map[string]*api.DeviceGroup)
	for _, d := range inv.devices {
		key := d.vendor + "\x00" + d.typ + "\x00" + d.model
		g, ok := index[key]
		if !ok {
			g = &api.DeviceGroup{
				Vendor:     d.vendor,
				Type:       d.typ,
				Model:      d.model,
				Attributes: maps.Clone(d.groupAttrs),
			}
			index[key] = g
			groups = append(groups, g)
		}
		inst := d.inst
		inst.Attributes = maps.Clone(d.inst.Attributes)
		inst.Healthy, inst.HealthDescription = true, ""
		if h := inv.health[inst.ID]; h != nil && !h.healthy() {
			inst.Healthy, inst.HealthDescription = false, h.String()
		}
		g.Instances = append(g.Instances, &inst)
	}
	return groups
}

// addDevice records one schedulable instance.
func (inv *Inventory) addDevice(d *device) {
	inv.devices = append(inv.devices, d)
}
