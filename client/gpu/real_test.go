package gpu

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
	gpudriver "github.com/constellation-sched/constellation/drivers/gpu"
)

// realCheckEnv gates the tests that need a real NVIDIA GPU.
const realCheckEnv = "CONSTELLATION_GPU_CHECK"

// cudaCountSource lists the devices CUDA sees, through the driver API
// loaded at run time, so that the check needs no CUDA toolkit.
const cudaCountSource = `
#include <dlfcn.h>
#include <stdio.h>
typedef int (*init_t)(unsigned);
typedef int (*count_t)(int *);
typedef int (*get_t)(int *, int);
typedef int (*name_t)(char *, int, int);
int main(void) {
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	if (!h) { printf("cuda: libcuda.so.1 not loadable\n"); return 0; }
	init_t cuInit = (init_t)dlsym(h, "cuInit");
	count_t cuDeviceGetCount = (count_t)dlsym(h, "cuDeviceGetCount");
	get_t cuDeviceGet = (get_t)dlsym(h, "cuDeviceGet");
	name_t cuDeviceGetName = (name_t)dlsym(h, "cuDeviceGetName");
	int rc = cuInit(0), n = 0;
	if (rc != 0) { printf("cuda: cuInit failed: %d\n", rc); return 1; }
	cuDeviceGetCount(&n);
	printf("cuda devices visible: %d\n", n);
	for (int i = 0; i < n; i++) {
		int dev; char name[256];
		cuDeviceGet(&dev, i);
		cuDeviceGetName(name, sizeof name, dev);
		printf("cuda device %d: %s\n", i, name);
	}
	return 0;
}
`

func TestRealNVML(t *testing.T) {
	if os.Getenv(realCheckEnv) != "1" {
		t.Skipf("set %s=1 on a machine with an NVIDIA GPU to run", realCheckEnv)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	inv, err := Discover(Options{Logger: log})
	require.NoError(t, err)
	defer inv.Close()
	require.False(t, inv.Mocked())

	// Discovery: print what a node record would carry.
	var first *api.DeviceInstance
	var firstGroup *api.DeviceGroup
	for _, g := range inv.Groups() {
		fmt.Printf("group vendor=%s type=%s model=%q attrs=%v\n", g.Vendor, g.Type, g.Model, g.Attributes)
		for _, in := range g.Instances {
			fmt.Printf("  instance id=%s parent=%s mig=%s memory_mb=%d pci=%s healthy=%v\n",
				in.ID, in.ParentID, in.MIGProfile, in.MemoryMB, in.PCIBusID, in.Healthy)
			if first == nil && g.Vendor == VendorNVIDIA {
				first, firstGroup = in, g
			}
		}
	}
	require.NotNil(t, first, "nvml found no nvidia gpu")
	for _, s := range inv.Sample() {
		fmt.Printf("sample %s util=%.0f%% mem_used=%dMB temp=%.0fC power=%.1fW has=%04b\n",
			s.DeviceID, s.UtilizationPercent, s.MemoryUsedMB, s.TemperatureC, s.PowerW, s.Has)
	}

	// Health watching registers for XID events without complaint.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	inv.WatchHealth(ctx, 500*time.Millisecond, func(g []*api.DeviceGroup) {
		t.Errorf("health changed on an idle machine: %+v", unhealthy(g))
	})

	// A task bound to the first device sees that device and no other.
	out := runBoundTask(t, firstGroup, first)
	fmt.Print(out)
	assert.Contains(t, out, "CUDA_VISIBLE_DEVICES="+first.ID+"\n")
	if strings.Contains(out, "cuda devices visible:") {
		assert.Contains(t, out, "cuda devices visible: 1\n")
	}
}

// runBoundTask runs nvidia-smi -L and a CUDA device count through the gpu
// driver, bound to one instance, and returns the task's output.
func runBoundTask(t *testing.T, g *api.DeviceGroup, in *api.DeviceInstance) string {
	dir := t.TempDir()
	script := `echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"; if command -v nvidia-smi >/dev/null; then nvidia-smi -L; fi`
	if cc, err := exec.LookPath("cc"); err == nil {
		src := filepath.Join(dir, "cudacount.c")
		require.NoError(t, os.WriteFile(src, []byte(cudaCountSource), 0o644))
		if out, err := exec.Command(cc, "-o", filepath.Join(dir, "cudacount"), src, "-ldl").CombinedOutput(); err == nil {
			script += "; ./cudacount"
		} else {
			t.Logf("cannot build the cuda check: %v: %s", err, out)
		}
	}
	cfg := &drivers.TaskConfig{
		AllocID: "gpu-check", TaskName: "probe", AllocDir: dir, TaskDir: dir,
		Config: map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		Resources: &api.AllocatedResources{Devices: []*api.AllocatedDevice{{
			Vendor: g.Vendor, Type: g.Type, Model: g.Model, DeviceIDs: []string{in.ID},
		}}},
		StdoutPath: filepath.Join(dir, "stdout"), StderrPath: filepath.Join(dir, "stderr"),
	}
	h, err := gpudriver.New(gpudriver.Options{}).Start(context.Background(), cfg)
	require.NoError(t, err)
	res := h.Wait()
	stdout, _ := os.ReadFile(cfg.StdoutPath)
	stderr, _ := os.ReadFile(cfg.StderrPath)
	require.True(t, res.Successful(), "task failed: %+v\n%s%s", res, stdout, stderr)
	return string(stdout)
}
