package gpu

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// discardLogger keeps test output quiet.
var discardLogger = slog.New(slog.DiscardHandler)

// discoverMock discovers a mock server with no sysfs devices.
func discoverMock(t testing.TB, name string) *Inventory {
	t.Helper()
	inv, err := Discover(Options{Mock: name, SysfsRoot: t.TempDir(), Logger: discardLogger})
	require.NoError(t, err)
	t.Cleanup(func() { _ = inv.Close() })
	return inv
}

// groupByType returns the groups of one type.
func groupByType(groups []*api.DeviceGroup, typ string) []*api.DeviceGroup {
	var out []*api.DeviceGroup
	for _, g := range groups {
		if g.Type == typ {
			out = append(out, g)
		}
	}
	return out
}

func TestInventory_DiscoverMock(t *testing.T) {
	// Driver and CUDA versions each mock server claims.
	versions := map[string][2]string{
		"dgxa100": {"550.54.15", "12.4"},
		"dgxh100": {"550.54.15", "12.4"},
		"dgxh200": {"550.54.15", "12.4"},
		"dgxb200": {"560.28.03", "12.6"},
	}
	for name, want := range versions {
		t.Run(name, func(t *testing.T) {
			inv := discoverMock(t, name)
			cfg := inv.mock.srv.Devices[0].(*server.Device).Config

			assert.True(t, inv.Mocked())
			groups := inv.Groups()
			require.Len(t, groups, 1)
			g := groups[0]
			assert.Equal(t, VendorNVIDIA, g.Vendor)
			assert.Equal(t, TypeGPU, g.Type)
			assert.Equal(t, cfg.Name, g.Model)
			assert.Equal(t, fmt.Sprint(cfg.MemoryMB), g.Attributes["memory_mb"])
			assert.Equal(t, fmt.Sprintf("%d.%d", cfg.CudaMajor, cfg.CudaMinor), g.Attributes["compute_capability"])
			assert.Equal(t, want[0], g.Attributes["driver_version"])
			assert.Equal(t, want[1], g.Attributes["cuda_driver_version"])
			assert.Equal(t, "0x10de", g.Attributes["vendor_id"])

			require.Len(t, g.Instances, 8)
			seen := map[string]bool{}
			for i, inst := range g.Instances {
				assert.True(t, strings.HasPrefix(inst.ID, "GPU-"), inst.ID)
				assert.False(t, seen[inst.ID], "duplicate id %s", inst.ID)
				seen[inst.ID] = true
				assert.Equal(t, fmt.Sprintf("0000:%02x:00.0", i), inst.PCIBusID)
				assert.Equal(t, int(cfg.MemoryMB), inst.MemoryMB)
				assert.True(t, inst.Healthy)
				assert.Equal(t, "disabled", inst.Attributes["mig_mode"])
			}
		})
	}
}

func TestInventory_DiscoverMockIDsStable(t *testing.T) {
	a := discoverMock(t, "dgxh100").Groups()
	b := discoverMock(t, "dgxh100").Groups()
	assert.Equal(t, a[0].Instances[3].ID, b[0].Instances[3].ID)
	c := discoverMock(t, "dgxa100").Groups()
	assert.NotEqual(t, a[0].Instances[3].ID, c[0].Instances[3].ID)
}

func TestInventory_DiscoverMockMIG(t *testing.T) {
	// NVIDIA's names for the 1-, 2- and 3-slice profiles of each model.
	profiles := map[string][3]string{
		"dgxa100-mig": {"1g.5gb", "2g.10gb", "3g.20gb"},
		"dgxh100-mig": {"1g.10gb", "2g.20gb", "3g.40gb"},
		"dgxh200-mig": {"1g.18gb", "2g.35gb", "3g.71gb"},
		"dgxb200-mig": {"1g.23gb", "2g.45gb", "3g.90gb"},
	}
	for name, want := range profiles {
		t.Run(name, func(t *testing.T) {
			inv := discoverMock(t, name)
			cfg := inv.mock.srv.Devices[0].(*server.Device).Config
			gpu0 := inv.mock.srv.Devices[0].(*server.Device).UUID
			gpu1 := inv.mock.srv.Devices[1].(*server.Device).UUID
			groups := inv.Groups()

			// GPUs 0 and 1 are partitioned, so only six whole GPUs remain.
			whole := groupByType(groups, TypeGPU)
			require.Len(t, whole, 1)
			require.Len(t, whole[0].Instances, 6)
			for _, inst := range whole[0].Instances {
				assert.NotContains(t, []string{gpu0, gpu1}, inst.ID)
			}

			// One group per profile: 7+2 one-slice, one 2-slice, one 3-slice.
			count := map[string]int{}
			parents := map[string]map[string]int{}
			for _, g := range groupByType(groups, TypeMIG) {
				profile := g.Attributes["mig_profile"]
				assert.Equal(t, cfg.Name+" "+profile, g.Model)
				slices := map[string]int{want[0]: 1, want[1]: 2, want[2]: 3}[profile]
				require.NotZero(t, slices, "unexpected profile %q", profile)
				giMem := cfg.MIGProfiles.GpuInstanceProfiles[slices-1].MemorySizeMB
				assert.Equal(t, fmt.Sprint(giMem), g.Attributes["memory_mb"])
				for _, inst := range g.Instances {
					assert.True(t, strings.HasPrefix(inst.ID, "MIG-"), inst.ID)
					assert.Equal(t, profile, inst.MIGProfile)
					assert.Equal(t, int(giMem), inst.MemoryMB)
					assert.Equal(t, "enabled", inst.Attributes["mig_mode"])
					if parents[profile] == nil {
						parents[profile] = map[string]int{}
					}
					parents[profile][inst.ParentID]++
				}
				count[profile] += len(g.Instances)
			}
			assert.Equal(t, map[string]int{want[0]: 9, want[1]: 1, want[2]: 1}, count)
			assert.Equal(t, map[string]int{gpu0: 7, gpu1: 2}, parents[want[0]])
			assert.Equal(t, map[string]int{gpu1: 1}, parents[want[2]])
		})
	}
}

func TestDiscover_UnknownMock(t *testing.T) {
	_, err := Discover(Options{Mock: "dgx-a100", SysfsRoot: t.TempDir(), Logger: discardLogger})
	require.ErrorIs(t, err, ErrUnknownMock)
	for _, name := range MockNames() {
		assert.Contains(t, err.Error(), name)
	}
	assert.Len(t, MockNames(), 8)
}

func TestDiscover_WithoutNVML(t *testing.T) {
	lib := nvml.New()
	if ret := lib.Init(); ret != nvml.ERROR_LIBRARY_NOT_FOUND {
		if ret == nvml.SUCCESS {
			lib.Shutdown()
		}
		t.Skipf("nvml is present here (%v); this test covers machines without it", ret)
	}
	inv, err := Discover(Options{SysfsRoot: t.TempDir(), Logger: discardLogger})
	require.NoError(t, err)
	defer inv.Close()
	assert.Empty(t, inv.Groups())
	assert.False(t, inv.Mocked())
	assert.Empty(t, inv.Sample())
}

func TestInventory_GroupsAreCopies(t *testing.T) {
	inv := discoverMock(t, "dgxa100")
	g := inv.Groups()
	g[0].Instances[0].Healthy = false
	g[0].Attributes["memory_mb"] = "1"
	again := inv.Groups()
	assert.True(t, again[0].Instances[0].Healthy)
	assert.NotEqual(t, "1", again[0].Attributes["memory_mb"])
}

func TestInventory_SampleNVIDIA(t *testing.T) {
	inv := discoverMock(t, "dgxh200")
	d := inv.mock.srv.Devices[4].(*server.Device)
	d.MemoryInfo.Used = 3 << 30
	d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		return nvml.Utilization{Gpu: 73, Memory: 20}, nvml.SUCCESS
	}
	d.GetTemperatureFunc = func(s nvml.TemperatureSensors) (uint32, nvml.Return) {
		if s != nvml.TEMPERATURE_GPU {
			return 0, nvml.ERROR_INVALID_ARGUMENT
		}
		return 66, nvml.SUCCESS
	}
	d.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 412500, nvml.SUCCESS } // mW

	samples := inv.Sample()
	assert.Len(t, samples, 8)
	s := samples[4]
	assert.Equal(t, d.UUID, s.DeviceID)
	assert.Equal(t, VendorNVIDIA, s.Vendor)
	assert.Equal(t, MetricUtilization|MetricMemoryUsed|MetricTemperature|MetricPower, s.Has)
	assert.Equal(t, 73.0, s.UtilizationPercent)
	assert.Equal(t, 3072, s.MemoryUsedMB)
	assert.Equal(t, 66.0, s.TemperatureC)
	assert.Equal(t, 412.5, s.PowerW)

	// The other mock GPUs have no sensors: only memory is reported.
	assert.Equal(t, MetricMemoryUsed, samples[0].Has)
	assert.Zero(t, samples[0].MemoryUsedMB)
}

func BenchmarkDiscover(b *testing.B) {
	const targetMs = 100.0 // discovery of 8 GPUs must stay under this
	for _, name := range MockNames() {
		b.Run(name, func(b *testing.B) {
			root := b.TempDir()
			for b.Loop() {
				inv, err := Discover(Options{Mock: name, SysfsRoot: root, Logger: discardLogger})
				if err != nil {
					b.Fatal(err)
				}
				_ = inv.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/discover")
			b.ReportMetric(targetMs, "target_ms")
		})
	}
}
