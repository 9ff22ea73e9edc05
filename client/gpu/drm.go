package gpu

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers/gpu/drm"
)

// drmModels names common data-centre and workstation GPUs by PCI vendor
// and device ID, for cards whose driver publishes no product name.
var drmModels = map[string]string{
	"0x1002:0x738c": "AMD Instinct MI100",
	"0x1002:0x7408": "AMD Instinct MI250X",
	"0x1002:0x740c": "AMD Instinct MI250X/MI250",
	"0x1002:0x740f": "AMD Instinct MI210",
	"0x1002:0x74a1": "AMD Instinct MI300X",
	"0x1002:0x74a5": "AMD Instinct MI325X",
	"0x1002:0x7448": "AMD Radeon PRO W7900",
	"0x1002:0x744c": "AMD Radeon RX 7900 XTX",
	"0x1002:0x73bf": "AMD Radeon RX 6900 XT",
	"0x8086:0x56a0": "Intel Arc A770",
	"0x8086:0x56a1": "Intel Arc A750",
	"0x8086:0x56c0": "Intel Data Center GPU Flex 170",
	"0x8086:0x56c1": "Intel Data Center GPU Flex 140",
	"0x8086:0x0bd5": "Intel Data Center GPU Max 1550",
	"0x8086:0x0bda": "Intel Data Center GPU Max 1100",
	"0x8086:0xe20b": "Intel Arc B580",
}

// drmGPU is one AMD or Intel GPU found through sysfs.
type drmGPU struct {
	card   *drm.Card
	id     string
	vendor string
}

// discoverDRM adds the AMD and Intel GPUs sysfs lists under root. NVIDIA
// cards are left to NVML; integrated GPUs are not offered for placement.
func (inv *Inventory) discoverDRM(root string) error {
	cards, err := drm.List(root)
	if err != nil {
		return err
	}
	for _, c := range cards {
		vendor := drmVendor(c.VendorID)
		if vendor == "" {
			continue
		}
		if c.Integrated {
			inv.log.Debug("skip integrated gpu", "card", c.Name, "pci_bus_id", c.PCIBusID)
			continue
		}
		d := cardDevice(vendor, c)
		inv.cards = append(inv.cards, &drmGPU{card: c, id: d.inst.ID, vendor: vendor})
		inv.addDevice(d)
	}
	return nil
}

// cardDevice describes one DRM card as a schedulable instance. Its ID is
// "GPU-<unique_id>" where amdgpu publishes one (the form ROCm accepts in
// ROCR_VISIBLE_DEVICES), else its PCI bus ID.
func cardDevice(vendor string, c *drm.Card) *device {
	memMB := int(c.VRAMTotalBytes >> 20)
	attrs := map[string]string{"vendor_id": c.VendorID, "device_id": c.DeviceID}
	if memMB > 0 {
		attrs["memory_mb"] = strconv.Itoa(memMB)
	}
	if c.Driver != "" {
		attrs["kernel_driver"] = c.Driver
	}
	id := c.PCIBusID
	if c.UniqueID != "" {
		id = "GPU-" + c.UniqueID
	}
	return &device{
		vendor: vendor, typ: TypeGPU, model: drmModel(vendor, c), groupAttrs: attrs,
		inst: api.DeviceInstance{
			ID: id, MemoryMB: memMB, PCIBusID: c.PCIBusID,
			Attributes: map[string]string{"pci_bus_id": c.PCIBusID, "drm_card": c.Name},
		},
	}
}

// drmVendor maps a PCI vendor ID to the vendors sysfs discovery handles.
func drmVendor(id string) string {
	switch id {
	case drm.VendorAMD:
		return VendorAMD
	case drm.VendorIntel:
		return VendorIntel
	}
	return ""
}

// drmModel names the card: the VBIOS product name when published, the
// known name of its PCI ID, or the vendor and PCI device ID.
func drmModel(vendor string, c *drm.Card) string {
	if c.ProductName != "" {
		if vendor == VendorAMD && !strings.HasPrefix(c.ProductName, "AMD") {
			return "AMD " + c.ProductName
		}
		return c.ProductName
	}
	if name, ok := drmModels[c.VendorID+":"+c.DeviceID]; ok {
		return name
	}
	prefix := "AMD"
	if vendor == VendorIntel {
		prefix = "Intel"
	}
	return fmt.Sprintf("%s GPU %s", prefix, c.DeviceID)
}
