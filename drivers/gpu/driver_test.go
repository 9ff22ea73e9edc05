package gpu

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

// writeCard lays out one DRM card the way sysfs shows it.
func writeCard(t *testing.T, root, card, pci, vendor, device, driver string) {
	t.Helper()
	dev := filepath.Join(root, "devices", "pci0000:00", pci)
	require.NoError(t, os.MkdirAll(filepath.Join(dev, "drm", card), 0o755))
	files := map[string]string{
		"vendor": vendor, "device": device, "class": "0x030000",
		"uevent": fmt.Sprintf("DRIVER=%s\nPCI_SLOT_NAME=%s\n", driver, pci),
	}
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dev, name), []byte(content+"\n"), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "class", "drm"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(dev, "drm", card), filepath.Join(root, "class", "drm", card)))
	require.NoError(t, os.Symlink(dev, filepath.Join(dev, "drm", card, "device")))
}

// mixedNode is a node with an Intel iGPU, two Intel discrete GPUs and
// three AMD GPUs; card numbers do not follow PCI order.
func mixedNode(t *testing.T) string {
	root := t.TempDir()
	writeCard(t, root, "card0", "0000:00:02.0", "0x8086", "0x4680", "i915")
	writeCard(t, root, "card4", "0000:03:00.0", "0x8086", "0x56a0", "xe")
	writeCard(t, root, "card1", "0000:4d:00.0", "0x8086", "0x56c0", "i915")
	writeCard(t, root, "card5", "0000:43:00.0", "0x1002", "0x740f", "amdgpu")
	writeCard(t, root, "card2", "0000:83:00.0", "0x1002", "0x740f", "amdgpu")
	writeCard(t, root, "card3", "0000:c3:00.0", "0x1002", "0x744c", "amdgpu")
	return root
}

// runEnv runs `env` bound to devs and returns the variables it printed.
func runEnv(t *testing.T, root string, config map[string]any, devs ...*api.AllocatedDevice) map[string]string {
	t.Helper()
	dir := t.TempDir()
	cfg := &drivers.TaskConfig{
		AllocID: "alloc1", TaskName: "train", AllocDir: dir, TaskDir: dir,
		Config:     config,
		Env:        map[string]string{"CUDA_VISIBLE_DEVICES": "0,1,2,3"},
		Resources:  &api.AllocatedResources{Devices: devs},
		StdoutPath: filepath.Join(dir, "stdout"), StderrPath: filepath.Join(dir, "stderr"),
	}
	d := New(Options{SysfsRoot: root, Logger: slog.New(slog.DiscardHandler)})
	h, err := d.Start(context.Background(), cfg)
	require.NoError(t, err)
	require.True(t, h.Wait().Successful())

	b, err := os.ReadFile(cfg.StdoutPath)
	require.NoError(t, err)
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env
}

// shellEnv is a config that prints the environment.
var shellEnv = map[string]any{"command": "/bin/sh", "args": []any{"-c", "env"}}

func TestDriver_NVIDIAEnv(t *testing.T) {
	tests := []struct {
		name string
		devs []*api.AllocatedDevice
		want string
	}{
		{"whole gpus", []*api.AllocatedDevice{{Vendor: "nvidia", Type: "gpu",
			DeviceIDs: []string{"GPU-aaaa", "GPU-bbbb"}}}, "GPU-aaaa,GPU-bbbb"},
		{"mig devices", []*api.AllocatedDevice{{Vendor: "nvidia", Type: "mig",
			DeviceIDs: []string{"MIG-1111"}}}, "MIG-1111"},
		{"gpu and mig requests", []*api.AllocatedDevice{
			{Vendor: "nvidia", Type: "gpu", DeviceIDs: []string{"GPU-aaaa"}},
			{Vendor: "nvidia", Type: "mig", DeviceIDs: []string{"MIG-2222"}},
		}, "GPU-aaaa,MIG-2222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := runEnv(t, t.TempDir(), shellEnv, tt.devs...)
			assert.Equal(t, tt.want, env["NVIDIA_VISIBLE_DEVICES"])
			assert.Equal(t, tt.want, env["CUDA_VISIBLE_DEVICES"], "devices override the task env")
			assert.Equal(t, "alloc1", env["CONSTELLATION_ALLOC_ID"])
			assert.NotContains(t, env, "CUDA_MPS_PIPE_DIRECTORY")
			assert.NotContains(t, env, "ROCR_VISIBLE_DEVICES")
		})
	}
}

func TestDriver_MPSEnv(t *testing.T) {
	share := &api.AllocatedDevice{Vendor: "nvidia", Type: "gpu", Sharing: api.SharingMPS,
		DeviceIDs: []string{"GPU-aaaa"}, MPSComputePercent: 25, MPSMemoryMB: 8192}

	env := runEnv(t, t.TempDir(), shellEnv, share)
	assert.Equal(t, "GPU-aaaa", env["CUDA_VISIBLE_DEVICES"])
	assert.Equal(t, DefaultMPSPipeDirectory, env["CUDA_MPS_PIPE_DIRECTORY"])
	assert.Equal(t, "25", env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"])
	assert.Equal(t, "GPU-aaaa=8192M", env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"])

	config := map[string]any{"command": "env", "mps_pipe_directory": "/run/mps"}
	other := &api.AllocatedDevice{Vendor: "nvidia", Type: "mig", Sharing: api.SharingMPS,
		DeviceIDs: []string{"MIG-1111"}, MPSComputePercent: 50, MPSMemoryMB: 2048}
	env = runEnv(t, t.TempDir(), config, share, other)
	assert.Equal(t, "/run/mps", env["CUDA_MPS_PIPE_DIRECTORY"])
	assert.Equal(t, "25", env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"], "the smallest share")
	assert.Equal(t, "GPU-aaaa=8192M,MIG-1111=2048M", env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"])
}

func TestDriver_AMDEnv(t *testing.T) {
	root := mixedNode(t)
	env := runEnv(t, root, shellEnv, &api.AllocatedDevice{Vendor: "amd", Type: "gpu",
		DeviceIDs: []string{"GPU-3a2bd4a1d3c0f9e1", "0000:c3:00.0", "0000:43:00.0"}})
	// UUIDs pass through; bus IDs become PCI-order indices among AMD GPUs.
	assert.Equal(t, "GPU-3a2bd4a1d3c0f9e1,2,0", env["ROCR_VISIBLE_DEVICES"])
	assert.Equal(t, "void", env["NVIDIA_VISIBLE_DEVICES"])
	assert.Equal(t, "0,1,2,3", env["CUDA_VISIBLE_DEVICES"], "left as the task set it: HIP reads it too")
	assert.NotContains(t, env, "ZE_AFFINITY_MASK")
}

func TestDriver_IntelEnv(t *testing.T) {
	root := mixedNode(t)
	env := runEnv(t, root, shellEnv, &api.AllocatedDevice{Vendor: "intel", Type: "gpu",
		DeviceIDs: []string{"0000:4d:00.0"}})
	// The iGPU at 00:02.0 is Level Zero's device 0, the Arc at 03:00.0
	// device 1, the Flex at 4d:00.0 device 2.
	assert.Equal(t, "2", env["ZE_AFFINITY_MASK"])
	assert.Equal(t, "1", env["ZE_ENABLE_PCI_ID_DEVICE_ORDER"])
	assert.NotContains(t, env, "ROCR_VISIBLE_DEVICES")
}

func TestDriver_StartErrors(t *testing.T) {
	root := mixedNode(t)
	tests := []struct {
		name    string
		devs    []*api.AllocatedDevice
		wantErr string
	}{
		{"no devices", nil, "no devices assigned"},
		{"unknown vendor", []*api.AllocatedDevice{{Vendor: "habana", DeviceIDs: []string{"x"}}},
			`vendor "habana"`},
		{"intel device not on node", []*api.AllocatedDevice{{Vendor: "intel",
			DeviceIDs: []string{"0000:99:00.0"}}}, "0000:99:00.0 is not a gpu"},
		{"amd id is an intel card", []*api.AllocatedDevice{{Vendor: "amd",
			DeviceIDs: []string{"0000:03:00.0"}}}, "0000:03:00.0 is not a gpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := &drivers.TaskConfig{TaskName: "t", TaskDir: dir, Config: shellEnv,
				Resources: &api.AllocatedResources{Devices: tt.devs}}
			_, err := New(Options{SysfsRoot: root}).Start(context.Background(), cfg)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestDriver_Validate(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		wantErr string
	}{
		{"ok", map[string]any{"command": "python3", "args": []any{"train.py"}}, ""},
		{"ok with pipe dir", map[string]any{"command": "x", "mps_pipe_directory": "/run/mps"}, ""},
		{"relative pipe dir", map[string]any{"command": "x", "mps_pipe_directory": "mps"},
			`"mps_pipe_directory" must be an absolute path`},
		{"missing command", map[string]any{"args": []any{"a"}}, `"command" is missing`},
		{"unknown field", map[string]any{"command": "x", "gpus": 2}, `unknown field "gpus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(Options{}).Validate(tt.config)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, drivers.ErrBadConfig)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestDriver_Fingerprint(t *testing.T) {
	d := New(Options{})
	assert.Equal(t, "gpu", d.Name())
	assert.Equal(t, map[string]string{"driver.gpu": "1"}, d.Fingerprint())
}
