package client

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// triggeredDevices is a device inventory whose health changes when the
// test says so.
type triggeredDevices struct {
	groups []*api.DeviceGroup
	change chan []*api.DeviceGroup
}

func (d *triggeredDevices) Groups() []*api.DeviceGroup { return d.groups }
func (d *triggeredDevices) Mocked() bool               { return true }
func (d *triggeredDevices) WatchHealth(ctx context.Context, _ time.Duration, onChange func([]*api.DeviceGroup)) {
	for {
		select {
		case <-ctx.Done():
			return
		case g := <-d.change:
			onChange(g)
		}
	}
}

func gpuGroup(healthy bool) []*api.DeviceGroup {
	return []*api.DeviceGroup{{Vendor: "nvidia", Type: "gpu", Model: "H200",
		Instances: []*api.DeviceInstance{{ID: "GPU-1", MemoryMB: 141000, Healthy: healthy}}}}
}

func TestAgent_DeviceHealthReregisters(t *testing.T) {
	fs := newFakeServer(t)
	devs := &triggeredDevices{groups: gpuGroup(true), change: make(chan []*api.DeviceGroup)}
	a, err := New(Config{
		DataDir: t.TempDir(), Servers: func() []string { return []string{fs.addr()} },
		Devices: devs, RetryMin: 20 * time.Millisecond,
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, a.Start(context.Background()))
	t.Cleanup(a.Shutdown)

	nodeDevices := func() *api.NodeResources {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if n := fs.nodes[a.NodeID()]; n != nil {
			return n.Resources
		}
		return nil
	}
	require.Eventually(t, func() bool { return nodeDevices() != nil }, waitFor, 10*time.Millisecond)
	res := nodeDevices()
	assert.True(t, res.DevicesMocked)
	assert.True(t, res.Devices[0].Instances[0].Healthy)

	devs.change <- gpuGroup(false)
	require.Eventually(t, func() bool {
		r := nodeDevices()
		return r != nil && !r.Devices[0].Instances[0].Healthy
	}, waitFor, 10*time.Millisecond)
}
