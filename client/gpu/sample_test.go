package gpu

import (
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
	"github.com/stretchr/testify/assert"
)

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
