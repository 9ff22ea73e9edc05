package gpu

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/constellation-sched/constellation/api"
)

// defaultHealthInterval is how often WatchHealth polls when given no
// interval.
const defaultHealthInterval = 5 * time.Second

// maxEventWait bounds one wait on the NVML event set, so that a cancelled
// context is noticed quickly.
const maxEventWait = time.Second

// applicationXIDs are XIDs a misbehaving application causes (graphics
// engine exception, MMU fault, reset channel, ...), not a failing device.
var applicationXIDs = map[uint64]bool{13: true, 31: true, 43: true, 45: true, 68: true, 109: true}

// healthState holds why an instance is unhealthy; empty fields mean no
// complaint of that kind.
type healthState struct {
	// xid is sticky: a GPU that raised a critical XID needs a reset.
	xid string
	// query clears when the device answers again.
	query string
}

// healthy reports whether nothing is wrong.
func (h *healthState) healthy() bool {
	return h.xid == "" && h.query == ""
}

// String describes what is wrong.
func (h *healthState) String() string {
	var parts []string
	for _, p := range []string{h.xid, h.query} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}

// WatchHealth watches the devices until ctx ends or the inventory is
// closed. It follows NVML's XID critical error events and, every interval,
// queries each device; when an instance's health changes it calls onChange
// with the full, updated groups. It blocks, so run it in a goroutine.
func (inv *Inventory) WatchHealth(ctx context.Context, interval time.Duration,
	onChange func([]*api.DeviceGroup)) {

	if interval <= 0 {
		interval = defaultHealthInterval
	}
	inv.mu.Lock()
	if inv.closed {
		inv.mu.Unlock()
		return
	}
	inv.wg.Add(1)
	inv.mu.Unlock()
	defer inv.wg.Done()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(inv.ctx, cancel)
	defer stop()

	set := inv.registerEvents()
	if set != nil {
		defer set.Free()
	}
	wait := min(interval, maxEventWait)
	var lastPoll time.Time
	for ctx.Err() == nil {
		changed := inv.waitEvent(ctx, set, wait)
		if time.Since(lastPoll) >= interval {
			changed = inv.poll() || changed
			lastPoll = time.Now()
		}
		if changed && ctx.Err() == nil {
			onChange(inv.Groups())
		}
	}
}

// registerEvents creates an NVML event set for XID errors on every GPU
// that supports them; nil when there is nothing to watch.
func (inv *Inventory) registerEvents() nvml.EventSet {
	if inv.lib == nil || len(inv.gpus) == 0 {
		return nil
	}
	set, ret := inv.lib.EventSetCreate()
	if ret != nvml.SUCCESS {
		inv.log.Warn("gpu events unavailable, polling only", "error", ret.Error())
		return nil
	}
	for _, g := range inv.gpus {
		supported, ret := g.handle.GetSupportedEventTypes()
		if ret != nvml.SUCCESS || supported&nvml.EventTypeXidCriticalError == 0 {
			inv.log.Info("gpu reports no xid events", "device_id", g.uuid)
			continue
		}
		if ret := g.handle.RegisterEvents(nvml.EventTypeXidCriticalError, set); ret != nvml.SUCCESS {
			inv.log.Warn("register gpu events", "device_id", g.uuid, "error", ret.Error())
		}
	}
	return set
}

// waitEvent waits up to d for one event and applies it; without an event
// set it only waits. It reports whether health changed.
func (inv *Inventory) waitEvent(ctx context.Context, set nvml.EventSet, d time.Duration) bool {
	if set == nil {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		return false
	}
	ev, ret := set.Wait(uint32(d / time.Millisecond))
	switch ret {
	case nvml.SUCCESS:
		return inv.applyEvent(ev)
	case nvml.ERROR_TIMEOUT:
		return false
	default:
		// A failing wait would spin; back off for the wait period.
		inv.log.Debug("wait for gpu events", "error", ret.Error())
		return inv.waitEvent(ctx, nil, d)
	}
}

// applyEvent marks the instances an XID critical error concerns. An event
// naming a GPU instance concerns that MIG device; otherwise the whole GPU.
func (inv *Inventory) applyEvent(ev nvml.EventData) bool {
	if ev.EventType != nvml.EventTypeXidCriticalError || applicationXIDs[ev.EventData] {
		return false
	}
	uuid, ret := ev.Device.GetUUID()
	if ret != nvml.SUCCESS {
		inv.log.Warn("xid event from unknown gpu", "xid", ev.EventData, "error", ret.Error())
		return false
	}
	g := inv.gpuByUUID(uuid)
	if g == nil {
		return false
	}
	ids := g.ids()
	if g.migMode && ev.GpuInstanceId != invalidInstanceID {
		ids = nil
		for _, m := range g.migs {
			if m.giID == int(ev.GpuInstanceId) &&
				(ev.ComputeInstanceId == invalidInstanceID || m.ciID == int(ev.ComputeInstanceId)) {
				ids = append(ids, m.uuid)
			}
		}
	}
	reason := fmt.Sprintf("xid %d critical error", ev.EventData)
	return inv.setHealth(ids, func(h *healthState) { h.xid = reason })
}

// poll queries every device and records which answer.
func (inv *Inventory) poll() bool {
	changed := false
	for _, g := range inv.gpus {
		reason := ""
		if _, ret := g.handle.GetMemoryInfo(); ret != nvml.SUCCESS {
			reason = "device not answering: " + ret.Error()
		}
		changed = inv.setHealth(g.ids(), func(h *healthState) { h.query = reason }) || changed
	}
	for _, c := range inv.cards {
		reason := ""
		if !c.card.Present() {
			reason = "device gone from sysfs"
		}
		changed = inv.setHealth([]string{c.id}, func(h *healthState) { h.query = reason }) || changed
	}
	return changed
}

// setHealth applies update to the instances and reports whether any
// instance changed between healthy and unhealthy or changed its reason.
func (inv *Inventory) setHealth(ids []string, update func(*healthState)) bool {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	changed := false
	for _, id := range ids {
		h := inv.health[id]
		if h == nil {
			h = &healthState{}
			inv.health[id] = h
		}
		before := h.String()
		update(h)
		if after := h.String(); after != before {
			changed = true
			inv.log.Info("gpu health changed", "device_id", id,
				"healthy", h.healthy(), "reason", after)
		}
	}
	return changed
}

// gpuByUUID finds an NVIDIA GPU by UUID.
func (inv *Inventory) gpuByUUID(uuid string) *nvidiaGPU {
	for _, g := range inv.gpus {
		if g.uuid == uuid {
			return g
		}
	}
	return nil
}
