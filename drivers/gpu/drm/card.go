package drm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// PCI vendor IDs of the GPU makers the package knows.
const (
	VendorAMD    = "0x1002"
	VendorIntel  = "0x8086"
	VendorNVIDIA = "0x10de"
)

// cardName matches a card directory, not its connectors ("card0-DP-1").
var cardName = regexp.MustCompile(`^card[0-9]+$`)

// Card is one GPU as sysfs shows it.
type Card struct {
	// Name is the DRM card name, such as "card1".
	Name string
	// DevicePath is the PCI device directory the card's device link
	// points to.
	DevicePath string
	// VendorID and DeviceID are the PCI IDs, such as "0x1002" and
	// "0x740f".
	VendorID string
	DeviceID string
	// PCIBusID is the PCI address, such as "0000:c3:00.0".
	PCIBusID string
	// Driver is the kernel driver bound to the device: amdgpu, i915, xe.
	Driver string
	// UniqueID is the serial amdgpu publishes for Instinct cards; empty
	// elsewhere.
	UniqueID string
	// ProductName is the marketing name from the VBIOS, where published.
	ProductName string
	// VRAMTotalBytes is the card's own memory; 0 when it has none or
	// sysfs does not say.
	VRAMTotalBytes uint64
	// Integrated is true for a GPU built into the CPU package.
	Integrated bool
}

// List returns the GPU cards of every vendor under root (normally "/sys"),
// sorted by PCI bus ID. Cards that are not PCI display controllers, such
// as a BMC's VGA port or simpledrm, are left out. A missing class/drm
// directory is not an error: the machine has no DRM devices.
func List(root string) ([]*Card, error) {
	dir := filepath.Join(root, "class", "drm")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list drm cards: %w", err)
	}

	var cards []*Card
	for _, e := range entries {
		if !cardName.MatchString(e.Name()) {
			continue
		}
		c, err := readCard(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read drm card %s: %w", e.Name(), err)
		}
		if c != nil {
			cards = append(cards, c)
		}
	}
	sort.Slice(cards, func(i, j int) bool {
		return cards[i].PCIBusID < cards[j].PCIBusID
	})
	return cards, nil
}

// Index returns the position of the card with the given PCI bus ID among
// the cards of its vendor, counting integrated ones, in PCI bus order: the
// numbering ROCm and Level Zero (with ZE_ENABLE_PCI_ID_DEVICE_ORDER=1) use.
// It returns -1 when no such card is in cards.
func Index(cards []*Card, vendorID, pciBusID string) int {
	n := 0
	for _, c := range cards {
		if c.VendorID != vendorID {
			continue
		}
		if strings.EqualFold(c.PCIBusID, pciBusID) {
			return n
		}
		n++
	}
	return -1
}

// readCard reads one card directory; it returns nil for a card that is not
// a GPU of a known vendor.
func readCard(cardDir string) (*Card, error) {
	devDir := filepath.Join(cardDir, "device")
	vendor, err := ReadString(devDir, "vendor")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // not a PCI device: simpledrm, vkms
	}
	if err != nil {
		return nil, err
	}
	if vendor != VendorAMD && vendor != VendorIntel && vendor != VendorNVIDIA {
		return nil, nil
	}
	if class, _ := ReadString(devDir, "class"); class != "" && !strings.HasPrefix(class, "0x03") {
		return nil, nil // not a display controller
	}

	c := &Card{Name: filepath.Base(cardDir), VendorID: vendor}
	if c.DevicePath, err = filepath.EvalSymlinks(devDir); err != nil {
		return nil, err
	}
	if c.DeviceID, err = ReadString(devDir, "device"); err != nil {
		return nil, err
	}
	uevent, err := readUevent(devDir)
	if err != nil {
		return nil, err
	}
	c.Driver = uevent["DRIVER"]
	c.PCIBusID = strings.ToLower(uevent["PCI_SLOT_NAME"])
	if c.PCIBusID == "" {
		c.PCIBusID = filepath.Base(c.DevicePath)
	}
	c.UniqueID, _ = ReadString(devDir, "unique_id")
	c.ProductName, _ = ReadString(devDir, "product_name")
	c.VRAMTotalBytes = vramTotal(cardDir, devDir)
	c.Integrated = vendor == VendorIntel && strings.HasSuffix(c.PCIBusID, ":00:02.0")
	return c, nil
}

// vramTotal finds the card's local memory size where its driver says it:
// amdgpu's mem_info_vram_total, xe's per-tile physical_vram_size_bytes,
// i915's lmem_total_bytes (upstream or the prelim_ backport name).
func vramTotal(cardDir, devDir string) uint64 {
	if n, err := ReadUint(devDir, "mem_info_vram_total"); err == nil {
		return n
	}
	tiles, _ := filepath.Glob(filepath.Join(devDir, "tile*", "physical_vram_size_bytes"))
	var sum uint64
	for _, t := range tiles {
		if n, err := ReadUint(filepath.Dir(t), filepath.Base(t)); err == nil {
			sum += n
		}
	}
	if sum > 0 {
		return sum
	}
	for _, name := range []string{"lmem_total_bytes", "prelim_lmem_total_bytes"} {
		if n, err := ReadUint(cardDir, name); err == nil {
			return n
		}
	}
	return 0
}

// readUevent parses a uevent file of KEY=value lines.
func readUevent(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "uevent"))
	if err != nil {
		return nil, err
	}
	kv := make(map[string]string)
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	return kv, nil
}

// ReadString returns the trimmed content of dir/name.
func ReadString(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// ReadUint returns dir/name parsed as a decimal unsigned integer.
func ReadUint(dir, name string) (uint64, error) {
	s, err := ReadString(dir, name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", filepath.Join(dir, name), err)
	}
	return n, nil
}

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
