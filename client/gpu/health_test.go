package gpu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// watch starts WatchHealth and returns the channel its callbacks feed.
func watch(t *testing.T, inv *Inventory) <-chan []*api.DeviceGroup {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan []*api.DeviceGroup, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		inv.WatchHealth(ctx, 10*time.Millisecond, func(g []*api.DeviceGroup) { changes <- g })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return changes
}

// next waits for the next health change, failing after a deadline.
func next(t *testing.T, changes <-chan []*api.DeviceGroup) []*api.DeviceGroup {
	t.Helper()
	select {
	case g := <-changes:
		return g
	case <-time.After(10 * time.Second):
		t.Fatal("no health change reported")
		return nil
	}
}

// unhealthy lists the IDs of unhealthy instances.
func unhealthy(groups []*api.DeviceGroup) map[string]string {
	out := map[string]string{}
	for _, g := range groups {
		for _, in := range g.Instances {
			if !in.Healthy {
				out[in.ID] = in.HealthDescription
			}
		}
	}
	return out
}

func TestInventory_WatchHealthXID(t *testing.T) {
	inv := discoverMock(t, "dgxh100")
	ids := inv.gpus
	changes := watch(t, inv)

	// XID 13 is an application fault: it must not mark the GPU, so the
	// first change reported is the one for XID 79 on another GPU.
	require.NoError(t, inv.InjectMockXID(ids[2].uuid, 13))
	require.NoError(t, inv.InjectMockXID(ids[5].uuid, 79))
	got := unhealthy(next(t, changes))
	assert.Equal(t, map[string]string{ids[5].uuid: "xid 79 critical error"}, got)

	// Groups reflects the same state afterwards.
	assert.False(t, instanceByID(inv.Groups(), ids[5].uuid).Healthy)
	assert.True(t, instanceByID(inv.Groups(), ids[2].uuid).Healthy)
}

func TestInventory_WatchHealthMIG(t *testing.T) {
	inv := discoverMock(t, "dgxa100-mig")
	gpu0, gpu1 := inv.gpus[0], inv.gpus[1]
	changes := watch(t, inv)

	// An event naming a GPU instance marks only that MIG device.
	require.NoError(t, inv.InjectMockXID(gpu0.migs[3].uuid, 48))
	assert.Equal(t, map[string]string{gpu0.migs[3].uuid: "xid 48 critical error"},
		unhealthy(next(t, changes)))

	// An event for the whole GPU marks each of its MIG devices.
	require.NoError(t, inv.InjectMockXID(gpu1.uuid, 79))
	got := unhealthy(next(t, changes))
	assert.Len(t, got, 1+len(gpu1.migs))
	for _, m := range gpu1.migs {
		assert.Equal(t, "xid 79 critical error", got[m.uuid])
	}
}

func TestInventory_WatchHealthLostDevice(t *testing.T) {
	inv := discoverMock(t, "dgxb200")
	lost := inv.gpus[1].uuid
	changes := watch(t, inv)

	require.NoError(t, inv.FailMockDevice(lost, true))
	got := unhealthy(next(t, changes))
	require.Contains(t, got, lost)
	assert.Contains(t, got[lost], "not answering")
	assert.Len(t, got, 1)

	// A device that answers again is healthy again.
	require.NoError(t, inv.FailMockDevice(lost, false))
	assert.Empty(t, unhealthy(next(t, changes)))
}

func TestInventory_WatchHealthSysfsCardGone(t *testing.T) {
	root := filepath.Join(t.TempDir(), "sys")
	require.NoError(t, exec.Command("cp", "-a", fixture("mi210-server"), root).Run())
	inv, err := Discover(Options{SysfsRoot: root, Logger: discardLogger})
	require.NoError(t, err)
	defer inv.Close()
	changes := watch(t, inv)

	// Hot-unplug: the PCI device directory vanishes.
	dev := filepath.Join(root, "devices/pci0000:80/0000:80:01.1/0000:81:00.0/0000:82:00.0/0000:83:00.0")
	require.NoError(t, os.RemoveAll(dev))
	assert.Equal(t, map[string]string{"GPU-c1f05e9d7a6b2e44": "device gone from sysfs"},
		unhealthy(next(t, changes)))
}

func TestInventory_FaultInjectionErrors(t *testing.T) {
	inv := discoverMock(t, "dgxa100")
	assert.ErrorIs(t, inv.InjectMockXID("GPU-nope", 79), ErrUnknownDevice)
	assert.ErrorIs(t, inv.FailMockDevice("GPU-nope", true), ErrUnknownDevice)

	sys, err := Discover(Options{SysfsRoot: fixture("mi210-server"), Logger: discardLogger})
	require.NoError(t, err)
	defer sys.Close()
	if !sys.Mocked() {
		assert.ErrorIs(t, sys.InjectMockXID("GPU-3a2bd4a1d3c0f9e1", 79), ErrNotMocked)
	}
}

func TestInventory_CloseStopsWatchers(t *testing.T) {
	inv, err := Discover(Options{Mock: "dgxa100", SysfsRoot: t.TempDir(), Logger: discardLogger})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		inv.WatchHealth(context.Background(), time.Hour, func([]*api.DeviceGroup) {})
	}()
	require.NoError(t, inv.Close())
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("WatchHealth still running after Close")
	}
}
