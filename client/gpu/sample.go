package gpu

import (
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Metric names one reading of a Sample.
type Metric uint8

// The metrics a Sample may carry.
const (
	MetricUtilization Metric = 1 << iota
	MetricMemoryUsed
	MetricTemperature
	MetricPower
)

// Sample is one reading of a physical GPU's counters. A GPU or driver
// that does not report a metric leaves it zero and out of Has.
type Sample struct {
	// DeviceID is the GPU's instance ID (UUID, or PCI bus ID for cards
	// without one); for a MIG-enabled GPU, the parent GPU UUID.
	DeviceID string
	Vendor   string
	// UtilizationPercent is the share of time the GPU was busy.
	UtilizationPercent float64
	MemoryUsedMB       int
	TemperatureC       float64
	PowerW             float64
	Timestamp          time.Time
	// Has says which of the readings above the device reported.
	Has Metric
}

// Reports says whether the sample carries metric m.
func (s *Sample) Reports(m Metric) bool {
	return s.Has&m != 0
}

// Sample reads every physical GPU's counters: NVIDIA through NVML, AMD
// and Intel through sysfs (gpu_busy_percent, mem_info_vram_used, hwmon).
func (inv *Inventory) Sample() []Sample {
	out := make([]Sample, 0, len(inv.gpus)+len(inv.cards))
	for _, g := range inv.gpus {
		out = append(out, sampleNVIDIA(g))
	}
	for _, c := range inv.cards {
		m := c.card.ReadMetrics()
		s := Sample{DeviceID: c.id, Vendor: c.vendor, Timestamp: time.Now()}
		if m.HasBusy {
			s.UtilizationPercent, s.Has = m.BusyPercent, s.Has|MetricUtilization
		}
		if m.HasVRAMUsed {
			s.MemoryUsedMB, s.Has = int(m.VRAMUsedBytes>>20), s.Has|MetricMemoryUsed
		}
		if m.HasTemperature {
			s.TemperatureC, s.Has = m.TemperatureC, s.Has|MetricTemperature
		}
		if m.HasPower {
			s.PowerW, s.Has = m.PowerW, s.Has|MetricPower
		}
		out = append(out, s)
	}
	return out
}

// sampleNVIDIA reads one NVIDIA GPU through NVML. MIG-enabled GPUs report
// no utilisation.
func sampleNVIDIA(g *nvidiaGPU) Sample {
	s := Sample{DeviceID: g.uuid, Vendor: VendorNVIDIA, Timestamp: time.Now()}
	if u, ret := g.handle.GetUtilizationRates(); ret == nvml.SUCCESS {
		s.UtilizationPercent, s.Has = float64(u.Gpu), s.Has|MetricUtilization
	}
	if m, ret := g.handle.GetMemoryInfo(); ret == nvml.SUCCESS {
		s.MemoryUsedMB, s.Has = int(m.Used>>20), s.Has|MetricMemoryUsed
	}
	if t, ret := g.handle.GetTemperature(nvml.TEMPERATURE_GPU); ret == nvml.SUCCESS {
		s.TemperatureC, s.Has = float64(t), s.Has|MetricTemperature
	}
	if p, ret := g.handle.GetPowerUsage(); ret == nvml.SUCCESS {
		s.PowerW, s.Has = float64(p)/1000, s.Has|MetricPower
	}
	return s
}
