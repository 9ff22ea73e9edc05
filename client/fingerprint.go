package client

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

// fallbackCoreMHz is assumed per core when no CPU frequency can be read,
// as in some virtual machines.
const fallbackCoreMHz = 1000

// fingerprint holds what the client found out about its machine.
type fingerprint struct {
	Attributes map[string]string
	CPU        int // total MHz: cores x max MHz
	MemoryMB   int
	Drivers    []string
}

// takeFingerprint reads the machine's CPU, memory, kernel and OS, and asks
// each driver for its attributes. A driver whose Fingerprint is nil is
// left out of the node's drivers.
func takeFingerprint(ctx context.Context, drv []drivers.Driver, logger *slog.Logger) *fingerprint {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fp := &fingerprint{Attributes: map[string]string{
		"kernel.name": runtime.GOOS,
		"cpu.arch":    runtime.GOARCH,
	}}

	// CPU: cores times the fastest core's maximum frequency.
	cores, mhz, model := cpuInfo(ctx)
	if mhz <= 0 {
		logger.Warn("cpu frequency unknown; assuming a default", "mhz_per_core", fallbackCoreMHz)
		mhz = fallbackCoreMHz
	}
	fp.CPU = int(float64(cores) * mhz)
	fp.Attributes["cpu.numcores"] = strconv.Itoa(cores)
	fp.Attributes["cpu.frequency"] = strconv.Itoa(int(mhz))
	fp.Attributes["cpu.totalcompute"] = strconv.Itoa(fp.CPU)
	if model != "" {
		fp.Attributes["cpu.modelname"] = model
	}

	// Memory, kernel, OS and host name.
	fp.MemoryMB = memoryMB(ctx)
	fp.Attributes["memory.totalbytes"] = strconv.FormatInt(int64(fp.MemoryMB)<<20, 10)
	if v := kernelVersion(ctx); v != "" {
		fp.Attributes["kernel.version"] = v
	}
	if name, version := osInfo(ctx); name != "" {
		fp.Attributes["os.name"] = name
		if version != "" {
			fp.Attributes["os.version"] = version
		}
	}
	if h, err := os.Hostname(); err == nil {
		fp.Attributes["unique.hostname"] = h
	}

	// Drivers.
	for _, d := range drv {
		attrs := d.Fingerprint()
		if attrs == nil {
			logger.Info("driver not available on this node", "driver", d.Name())
			continue
		}
		fp.Drivers = append(fp.Drivers, d.Name())
		for k, v := range attrs {
			fp.Attributes[k] = v
		}
	}
	return fp
}

// cpuInfo returns the logical core count, the highest per-core maximum
// frequency in MHz and the model name.
func cpuInfo(ctx context.Context) (cores int, mhz float64, model string) {
	cores, err := cpu.CountsWithContext(ctx, true)
	if err != nil || cores <= 0 {
		cores = runtime.NumCPU()
	}
	infos, err := cpu.InfoWithContext(ctx)
	if err == nil {
		for _, in := range infos {
			mhz = max(mhz, in.Mhz)
			if model == "" {
				model = in.ModelName
			}
		}
	}
	if mhz <= 0 || model == "" {
		pm, pmodel := procCPUInfo()
		if mhz <= 0 {
			mhz = pm
		}
		if model == "" {
			model = pmodel
		}
	}
	return cores, mhz, model
}

// procCPUInfo reads the fastest "cpu MHz" and the model name from
// /proc/cpuinfo.
func procCPUInfo() (mhz float64, model string) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0, ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "cpu MHz":
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				mhz = max(mhz, x)
			}
		case "model name":
			if model == "" {
				model = v
			}
		}
	}
	return mhz, model
}

// memoryMB returns total memory in MiB.
func memoryMB(ctx context.Context) int {
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil && vm.Total > 0 {
		return int(vm.Total >> 20)
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.Atoi(fields[1])
			return kb >> 10
		}
	}
	return 0
}

func kernelVersion(ctx context.Context) string {
	if v, err := host.KernelVersionWithContext(ctx); err == nil && v != "" {
		return v
	}
	buf, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(buf))
}

func osInfo(ctx context.Context) (name, version string) {
	platform, _, ver, err := host.PlatformInformationWithContext(ctx)
	if err == nil && platform != "" {
		return platform, ver
	}
	return runtime.GOOS, ""
}

// nodeResources builds the node's resources from a fingerprint and the
// device inventory.
func nodeResources(fp *fingerprint, devs Devices, groups []*api.DeviceGroup) *api.NodeResources {
	res := &api.NodeResources{CPU: fp.CPU, MemoryMB: fp.MemoryMB}
	if devs != nil {
		res.Devices = groups
		res.DevicesMocked = devs.Mocked()
	}
	return res
}
