package gpu

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// fixture returns the sysfs root of a recorded machine layout.
func fixture(name string) string {
	return filepath.Join("testdata", "sysfs", name)
}

func TestInventory_DiscoverSysfs(t *testing.T) {
	type inst struct {
		id, pci  string
		memoryMB int
	}
	type group struct {
		vendor, model string
		instances     []inst
	}
	tests := []struct {
		machine string
		want    []group
	}{
		{
			// Two Instinct MI210 with unique IDs; the BMC's ASPEED VGA
			// card is not a GPU.
			machine: "mi210-server",
			want: []group{{VendorAMD, "AMD Instinct MI210", []inst{
				{"GPU-3a2bd4a1d3c0f9e1", "0000:43:00.0", 65520},
				{"GPU-c1f05e9d7a6b2e44", "0000:83:00.0", 65520},
			}}},
		},
		{
			// The Alder Lake iGPU is left out; the Radeon has no unique
			// ID, so its PCI address names it.
			machine: "radeon-workstation",
			want: []group{{VendorAMD, "AMD Radeon RX 7900 XTX", []inst{
				{"0000:03:00.0", "0000:03:00.0", 24560},
			}}},
		},
		{
			// i915 publishes lmem_total_bytes, xe a per-tile VRAM size.
			machine: "intel-gpu-server",
			want: []group{
				{VendorIntel, "Intel Data Center GPU Flex 170", []inst{
					{"0000:4d:00.0", "0000:4d:00.0", 13925},
				}},
				{VendorIntel, "Intel Arc A770", []inst{
					{"0000:b3:00.0", "0000:b3:00.0", 16304},
				}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.machine, func(t *testing.T) {
			inv, err := Discover(Options{Mock: "", SysfsRoot: fixture(tt.machine), Logger: discardLogger})
			require.NoError(t, err)
			defer inv.Close()

			var got []group
			for _, g := range inv.Groups() {
				assert.Equal(t, TypeGPU, g.Type)
				gg := group{vendor: g.Vendor, model: g.Model}
				for _, in := range g.Instances {
					assert.True(t, in.Healthy)
					assert.Equal(t, in.PCIBusID, in.Attributes["pci_bus_id"])
					gg.instances = append(gg.instances, inst{in.ID, in.PCIBusID, in.MemoryMB})
				}
				got = append(got, gg)
			}
			assert.Equal(t, tt.want, withoutNVIDIA(got, inv))
		})
	}
}

// withoutNVIDIA drops the groups a real NVML on the test machine adds.
func withoutNVIDIA[T any](groups []T, inv *Inventory) []T {
	if len(inv.gpus) == 0 {
		return groups
	}
	return groups[len(inv.Groups())-len(inv.cards):]
}

func TestInventory_SampleSysfs(t *testing.T) {
	inv, err := Discover(Options{SysfsRoot: fixture("mi210-server"), Logger: discardLogger})
	require.NoError(t, err)
	defer inv.Close()

	byID := map[string]Sample{}
	for _, s := range inv.Sample() {
		byID[s.DeviceID] = s
		assert.False(t, s.Timestamp.IsZero())
	}
	idle, busy := byID["GPU-3a2bd4a1d3c0f9e1"], byID["GPU-c1f05e9d7a6b2e44"]
	all := MetricUtilization | MetricMemoryUsed | MetricTemperature | MetricPower
	assert.Equal(t, all, idle.Has)
	assert.Equal(t, Sample{DeviceID: "GPU-c1f05e9d7a6b2e44", Vendor: VendorAMD,
		UtilizationPercent: 87, MemoryUsedMB: 32768, TemperatureC: 61, PowerW: 298,
		Timestamp: busy.Timestamp, Has: all}, busy)
	assert.Equal(t, 9, idle.MemoryUsedMB)
	assert.Equal(t, 42.0, idle.PowerW)
}

func TestInventory_SampleSysfsPartial(t *testing.T) {
	inv, err := Discover(Options{SysfsRoot: fixture("intel-gpu-server"), Logger: discardLogger})
	require.NoError(t, err)
	defer inv.Close()

	byID := map[string]Sample{}
	for _, s := range inv.Sample() {
		byID[s.DeviceID] = s
	}
	// i915 on the Flex publishes no busy, VRAM-used or temperature file and
	// only a power cap; xe on the Arc publishes a temperature.
	assert.Equal(t, Metric(0), byID["0000:4d:00.0"].Has)
	arc := byID["0000:b3:00.0"]
	assert.Equal(t, MetricTemperature, arc.Has)
	assert.Equal(t, 44.0, arc.TemperatureC)
	assert.True(t, arc.Reports(MetricTemperature))
	assert.False(t, arc.Reports(MetricPower))
}

// instanceByID finds an instance in groups.
func instanceByID(groups []*api.DeviceGroup, id string) *api.DeviceInstance {
	for _, g := range groups {
		for _, in := range g.Instances {
			if in.ID == id {
				return in
			}
		}
	}
	return nil
}
