package drm

import (
	"path/filepath"
)

// Metrics is one reading of a card's counters. The Has fields say which
// values the driver publishes; the others are zero.
type Metrics struct {
	BusyPercent    float64
	HasBusy        bool
	VRAMUsedBytes  uint64
	HasVRAMUsed    bool
	TemperatureC   float64
	HasTemperature bool
	PowerW         float64
	HasPower       bool
}

// Present reports whether the card's device directory can still be read;
// a card that has fallen off the bus loses it.
func (c *Card) Present() bool {
	_, err := ReadString(c.DevicePath, "vendor")
	return err == nil
}

// ReadMetrics reads gpu_busy_percent and mem_info_vram_used (amdgpu) and
// the first hwmon's temp1_input and power1_average or power1_input.
func (c *Card) ReadMetrics() Metrics {
	var m Metrics
	if n, err := ReadUint(c.DevicePath, "gpu_busy_percent"); err == nil {
		m.BusyPercent, m.HasBusy = float64(n), true
	}
	if n, err := ReadUint(c.DevicePath, "mem_info_vram_used"); err == nil {
		m.VRAMUsedBytes, m.HasVRAMUsed = n, true
	}

	hwmons, _ := filepath.Glob(filepath.Join(c.DevicePath, "hwmon", "hwmon*"))
	if len(hwmons) == 0 {
		return m
	}
	hw := hwmons[0]
	if n, err := ReadUint(hw, "temp1_input"); err == nil {
		m.TemperatureC, m.HasTemperature = float64(n)/1000, true
	}
	for _, name := range []string{"power1_average", "power1_input"} {
		if n, err := ReadUint(hw, name); err == nil {
			m.PowerW, m.HasPower = float64(n)/1e6, true
			break
		}
	}
	return m
}
