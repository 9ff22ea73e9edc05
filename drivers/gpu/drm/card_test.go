package drm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeDevice creates a card's device directory with the given files.
func writeDevice(t *testing.T, root, card string, files map[string]string) {
	t.Helper()
	dev := filepath.Join(root, "class", "drm", card, "device")
	require.NoError(t, os.MkdirAll(dev, 0o755))
	for name, content := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dev, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dev, name), []byte(content+"\n"), 0o644))
	}
}

func TestList_FiltersAndOrders(t *testing.T) {
	root := t.TempDir()
	writeDevice(t, root, "card0", map[string]string{"vendor": "0x1a03", "device": "0x2000",
		"class": "0x030000", "uevent": "DRIVER=ast\nPCI_SLOT_NAME=0000:02:00.0"})
	writeDevice(t, root, "card2", map[string]string{"vendor": "0x1002", "device": "0x740f",
		"class": "0x038000", "uevent": "DRIVER=amdgpu\nPCI_SLOT_NAME=0000:43:00.0",
		"mem_info_vram_total": "68702699520", "unique_id": "3a2b"})
	writeDevice(t, root, "card1", map[string]string{"vendor": "0x8086", "device": "0x56a0",
		"class": "0x030000", "uevent": "DRIVER=xe\nPCI_SLOT_NAME=0000:B3:00.0",
		"tile0/physical_vram_size_bytes": "8589934592", "tile1/physical_vram_size_bytes": "8589934592"})
	// A connector and a card without a PCI device (simpledrm) are skipped.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "class", "drm", "card1-DP-1"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "class", "drm", "card3"), 0o755))

	cards, err := List(root)
	require.NoError(t, err)
	require.Len(t, cards, 2)
	assert.Equal(t, "0000:43:00.0", cards[0].PCIBusID)
	assert.Equal(t, uint64(68702699520), cards[0].VRAMTotalBytes)
	assert.Equal(t, "3a2b", cards[0].UniqueID)
	assert.Equal(t, "0000:b3:00.0", cards[1].PCIBusID, "lower-cased")
	assert.Equal(t, uint64(16<<30), cards[1].VRAMTotalBytes, "xe tiles summed")
	assert.Equal(t, "xe", cards[1].Driver)

	assert.Equal(t, 0, Index(cards, VendorIntel, "0000:B3:00.0"))
	assert.Equal(t, -1, Index(cards, VendorAMD, "0000:b3:00.0"))
}

func TestList_NoDRM(t *testing.T) {
	cards, err := List(t.TempDir())
	assert.NoError(t, err)
	assert.Empty(t, cards)
}
