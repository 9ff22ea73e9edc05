package gpu

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/constellation-sched/constellation/api"
)

// nvidiaVendorID is NVIDIA's PCI vendor ID, the vendor_id attribute.
const nvidiaVendorID = "0x10de"

// nvmlAbsentLogged makes the "no NVML" message appear once per process,
// however often a node re-fingerprints.
var nvmlAbsentLogged atomic.Bool

// nvidiaGPU is one physical NVIDIA GPU and its MIG devices.
type nvidiaGPU struct {
	handle   nvml.Device
	uuid     string
	name     string
	pciBusID string
	memoryMB int
	migMode  bool
	migs     []*migDevice
}

// ids returns the instance IDs the GPU contributes: its own UUID, or its
// MIG devices' UUIDs when MIG is on.
func (g *nvidiaGPU) ids() []string {
	if !g.migMode {
		return []string{g.uuid}
	}
	ids := make([]string, len(g.migs))
	for i, m := range g.migs {
		ids[i] = m.uuid
	}
	return ids
}

// initNVML initialises the library and reports whether it is usable. Its
// absence is logged once, at info level.
func (inv *Inventory) initNVML() bool {
	ret := inv.lib.Init()
	if ret == nvml.SUCCESS {
		return true
	}
	if nvmlAbsentLogged.CompareAndSwap(false, true) {
		msg := "nvml unavailable, no nvidia gpus will be reported"
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND {
			msg = "nvml library not found, no nvidia gpus will be reported"
		}
		inv.log.Info(msg, "error", ret.Error())
	}
	return false
}

// discoverNVIDIA lists the GPUs NVML sees, and their MIG devices.
func (inv *Inventory) discoverNVIDIA() error {
	count, ret := inv.lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		return fmt.Errorf("count devices: %w", ret)
	}
	if count == 0 {
		if nvmlAbsentLogged.CompareAndSwap(false, true) {
			inv.log.Info("nvml reports no nvidia gpus")
		}
		return nil
	}

	// Attributes shared by every GPU of the node.
	common := map[string]string{"vendor_id": nvidiaVendorID}
	if v, ret := inv.lib.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		common["driver_version"] = v
	}
	if v, ret := inv.lib.SystemGetCudaDriverVersion(); ret == nvml.SUCCESS {
		common["cuda_driver_version"] = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
	}

	for i := 0; i < count; i++ {
		dev, ret := inv.lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			inv.log.Warn("skip nvidia gpu", "index", i, "error", ret.Error())
			continue
		}
		g, attrs, err := inv.readGPU(dev, common)
		if err != nil {
			inv.log.Warn("skip nvidia gpu", "index", i, "error", err)
			continue
		}
		inv.gpus = append(inv.gpus, g)
		inv.addGPU(g, attrs)
	}
	return nil
}

// readGPU reads one GPU's identity and, when MIG is on, its MIG devices.
// It returns the GPU and the attributes of the group it would head.
func (inv *Inventory) readGPU(dev nvml.Device, common map[string]string) (
	*nvidiaGPU, map[string]string, error) {

	g := &nvidiaGPU{handle: dev}
	var ret nvml.Return
	if g.uuid, ret = dev.GetUUID(); ret != nvml.SUCCESS {
		return nil, nil, fmt.Errorf("read uuid: %w", ret)
	}
	if g.name, ret = dev.GetName(); ret != nvml.SUCCESS {
		return nil, nil, fmt.Errorf("read name of %s: %w", g.uuid, ret)
	}
	mem, ret := dev.GetMemoryInfo()
	if ret != nvml.SUCCESS {
		return nil, nil, fmt.Errorf("read memory of %s: %w", g.uuid, ret)
	}
	g.memoryMB = int(mem.Total >> 20)
	if pci, ret := dev.GetPciInfo(); ret == nvml.SUCCESS {
		g.pciBusID = normalizeBusID(cString(pci.BusId[:]))
	}

	attrs := make(map[string]string, len(common)+2)
	for k, v := range common {
		attrs[k] = v
	}
	attrs["memory_mb"] = strconv.Itoa(g.memoryMB)
	if major, minor, ret := dev.GetCudaComputeCapability(); ret == nvml.SUCCESS {
		attrs["compute_capability"] = fmt.Sprintf("%d.%d", major, minor)
	}

	// MIG: NOT_SUPPORTED means a GPU without MIG, which is "disabled".
	if current, _, ret := dev.GetMigMode(); ret == nvml.SUCCESS && current == nvml.DEVICE_MIG_ENABLE {
		g.migMode = true
		migs, err := readMIGDevices(dev, inv.real)
		if err != nil {
			return nil, nil, fmt.Errorf("read mig devices of %s: %w", g.uuid, err)
		}
		g.migs = migs
	}
	return g, attrs, nil
}

// addGPU records the GPU as one instance, or its MIG devices as instances
// of one group per profile.
func (inv *Inventory) addGPU(g *nvidiaGPU, attrs map[string]string) {
	if !g.migMode {
		inv.addDevice(&device{
			vendor: VendorNVIDIA, typ: TypeGPU, model: g.name, groupAttrs: attrs,
			inst: api.DeviceInstance{
				ID: g.uuid, MemoryMB: g.memoryMB, PCIBusID: g.pciBusID,
				Attributes: map[string]string{"pci_bus_id": g.pciBusID, "mig_mode": "disabled"},
			},
		})
		return
	}
	for _, m := range g.migs {
		ga := make(map[string]string, len(attrs))
		for k, v := range attrs {
			ga[k] = v
		}
		ga["memory_mb"] = strconv.Itoa(m.memoryMB)
		ga["mig_profile"] = m.profile
		inv.addDevice(&device{
			vendor: VendorNVIDIA, typ: TypeMIG, model: g.name + " " + m.profile, groupAttrs: ga,
			inst: api.DeviceInstance{
				ID: m.uuid, ParentID: g.uuid, MIGProfile: m.profile,
				MemoryMB: m.memoryMB, PCIBusID: g.pciBusID,
				Attributes: map[string]string{"pci_bus_id": g.pciBusID, "mig_mode": "enabled"},
			},
		})
	}
}

// cString converts a NUL-terminated C char array.
func cString(b []int8) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

// normalizeBusID turns NVML's "00000000:3B:00.0" into the sysfs form
// "0000:3b:00.0".
func normalizeBusID(id string) string {
	id = strings.ToLower(id)
	if dom, rest, ok := strings.Cut(id, ":"); ok && len(dom) > 4 {
		id = dom[len(dom)-4:] + ":" + rest
	}
	return id
}
