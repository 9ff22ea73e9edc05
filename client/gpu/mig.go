package gpu

import (
	"fmt"
	"strings"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// invalidInstanceID is what NVML puts in an event's GPU or compute
// instance ID when the event concerns the whole GPU.
const invalidInstanceID = 0xFFFFFFFF

// migDevice is one MIG device: a compute instance inside a GPU instance.
type migDevice struct {
	uuid     string
	giID     int
	ciID     int
	profile  string
	memoryMB int
}

// profileSuffixes are the media-engine variants of GPU instance profiles,
// as nvidia-smi names them.
var profileSuffixes = map[uint32]string{
	nvml.GPU_INSTANCE_PROFILE_1_SLICE_REV1:   "+me",
	nvml.GPU_INSTANCE_PROFILE_2_SLICE_REV1:   "+me",
	nvml.GPU_INSTANCE_PROFILE_1_SLICE_GFX:    "+gfx",
	nvml.GPU_INSTANCE_PROFILE_2_SLICE_GFX:    "+gfx",
	nvml.GPU_INSTANCE_PROFILE_3_SLICE_GFX:    "+gfx",
	nvml.GPU_INSTANCE_PROFILE_4_SLICE_GFX:    "+gfx",
	nvml.GPU_INSTANCE_PROFILE_1_SLICE_NO_ME:  "-me",
	nvml.GPU_INSTANCE_PROFILE_2_SLICE_NO_ME:  "-me",
	nvml.GPU_INSTANCE_PROFILE_1_SLICE_ALL_ME: "+me.all",
	nvml.GPU_INSTANCE_PROFILE_2_SLICE_ALL_ME: "+me.all",
}

// readMIGDevices lists a MIG-enabled GPU's MIG devices through their
// handles, which unprivileged processes may query.
func readMIGDevices(gpu nvml.Device, real bool) ([]*migDevice, error) {
	max, ret := gpu.GetMaxMigDeviceCount()
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("read max mig device count: %w", ret)
	}
	var migs []*migDevice
	for i := 0; i < max; i++ {
		h, ret := gpu.GetMigDeviceHandleByIndex(i)
		if ret == nvml.ERROR_NOT_FOUND || ret == nvml.ERROR_INVALID_ARGUMENT {
			continue // no MIG device in this slot
		}
		if ret != nvml.SUCCESS {
			return nil, fmt.Errorf("get mig device %d: %w", i, ret)
		}
		m, err := readMIGDevice(gpu, h, real)
		if err != nil {
			return nil, fmt.Errorf("read mig device %d: %w", i, err)
		}
		migs = append(migs, m)
	}
	return migs, nil
}

// readMIGDevice reads one MIG device's UUID, IDs, memory and profile.
func readMIGDevice(gpu, h nvml.Device, real bool) (*migDevice, error) {
	m := &migDevice{}
	var ret nvml.Return
	if m.uuid, ret = h.GetUUID(); ret != nvml.SUCCESS {
		return nil, fmt.Errorf("read uuid: %w", ret)
	}
	if m.giID, ret = h.GetGpuInstanceId(); ret != nvml.SUCCESS {
		return nil, fmt.Errorf("read gpu instance id: %w", ret)
	}
	if m.ciID, ret = h.GetComputeInstanceId(); ret != nvml.SUCCESS {
		return nil, fmt.Errorf("read compute instance id: %w", ret)
	}
	attrs, ret := h.GetAttributes()
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("read attributes: %w", ret)
	}
	m.memoryMB = int(attrs.MemorySizeMB)
	if mem, ret := h.GetMemoryInfo(); ret == nvml.SUCCESS && mem.Total > 0 {
		m.memoryMB = int(mem.Total >> 20)
	}
	m.profile = profileName(gpu, m.giID, attrs, real)
	return m, nil
}

// profileName names a MIG profile the way nvidia-smi does: "1g.5gb",
// "1c.3g.20gb" for a compute instance smaller than its GPU instance,
// "1g.10gb+me" for a media-engine variant. On real hardware the name NVML
// reports for the GPU instance profile is used where the driver has one;
// otherwise the name is built from slice counts and memory.
func profileName(gpu nvml.Device, giID int, attrs nvml.DeviceAttributes, real bool) string {
	name := ""
	profileID, known := gpuInstanceProfileID(gpu, giID)
	if real && known {
		if v3, ret := gpu.GetGpuInstanceProfileInfoV(int(profileID)).V3(); ret == nvml.SUCCESS {
			name = strings.TrimPrefix(cString(v3.Name[:]), "MIG ")
		}
	}
	if name == "" {
		gb := (attrs.MemorySizeMB + 1023) / 1024
		name = fmt.Sprintf("%dg.%dgb", attrs.GpuInstanceSliceCount, gb)
		if known {
			name += profileSuffixes[profileID]
		}
	}
	if ci := attrs.ComputeInstanceSliceCount; ci > 0 && ci < attrs.GpuInstanceSliceCount {
		name = fmt.Sprintf("%dc.%s", ci, name)
	}
	return name
}

// gpuInstanceProfileID looks up the profile of a GPU instance. The query
// needs privileges on some drivers; callers do without the answer then.
func gpuInstanceProfileID(gpu nvml.Device, giID int) (uint32, bool) {
	gi, ret := gpu.GetGpuInstanceById(giID)
	if ret != nvml.SUCCESS {
		return 0, false
	}
	info, ret := gi.GetInfo()
	if ret != nvml.SUCCESS {
		return 0, false
	}
	return info.ProfileId, true
}
