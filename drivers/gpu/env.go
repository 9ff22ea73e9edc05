package gpu

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers/gpu/drm"
)

// Device vendors as the scheduler names them.
const (
	vendorNVIDIA = "nvidia"
	vendorAMD    = "amd"
	vendorIntel  = "intel"
)

// deviceEnv returns the variables that bind a process to devs. sysfsRoot
// is read only when an AMD or Intel device needs an index.
func deviceEnv(devs []*api.AllocatedDevice, sysfsRoot, mpsPipeDir string) (
	map[string]string, error) {

	var nvidia, amd, intel []string
	var mps []*api.AllocatedDevice
	for _, dev := range devs {
		switch dev.Vendor {
		case vendorNVIDIA:
			nvidia = append(nvidia, dev.DeviceIDs...)
			if dev.Sharing == api.SharingMPS {
				mps = append(mps, dev)
			}
		case vendorAMD:
			amd = append(amd, dev.DeviceIDs...)
		case vendorIntel:
			intel = append(intel, dev.DeviceIDs...)
		default:
			return nil, fmt.Errorf("device vendor %q is not one the gpu driver binds"+
				" (nvidia, amd, intel)", dev.Vendor)
		}
	}

	env := map[string]string{}
	if len(nvidia) > 0 {
		env["NVIDIA_VISIBLE_DEVICES"] = strings.Join(nvidia, ",")
		env["CUDA_VISIBLE_DEVICES"] = strings.Join(nvidia, ",")
		addMPS(env, mps, mpsPipeDir)
	} else {
		// TODO: on a node with both NVIDIA and other GPUs, CUDA in a task
		// given only AMD or Intel devices still sees every NVIDIA GPU;
		// CUDA_VISIBLE_DEVICES cannot be emptied because HIP honours it too.
		env["NVIDIA_VISIBLE_DEVICES"] = "void"
	}
	if len(amd) == 0 && len(intel) == 0 {
		return env, nil
	}

	cards, err := drm.List(sysfsRoot)
	if err != nil {
		return nil, fmt.Errorf("number amd and intel gpus: %w", err)
	}
	if len(amd) > 0 {
		ids, err := amdVisible(amd, cards)
		if err != nil {
			return nil, err
		}
		env["ROCR_VISIBLE_DEVICES"] = ids
	}
	if len(intel) > 0 {
		mask, err := indices(intel, cards, drm.VendorIntel)
		if err != nil {
			return nil, err
		}
		env["ZE_ENABLE_PCI_ID_DEVICE_ORDER"] = "1"
		env["ZE_AFFINITY_MASK"] = mask
	}
	return env, nil
}

// addMPS adds the MPS client variables. One process has one active thread
// percentage, so when MPS shares of several devices disagree the smallest
// is used; the memory limit is per device.
func addMPS(env map[string]string, mps []*api.AllocatedDevice, pipeDir string) {
	if len(mps) == 0 {
		return
	}
	env["CUDA_MPS_PIPE_DIRECTORY"] = pipeDir
	pct := 0
	var limits []string
	for _, dev := range mps {
		if dev.MPSComputePercent > 0 && (pct == 0 || dev.MPSComputePercent < pct) {
			pct = dev.MPSComputePercent
		}
		if dev.MPSMemoryMB > 0 {
			for _, id := range dev.DeviceIDs {
				limits = append(limits, fmt.Sprintf("%s=%dM", id, dev.MPSMemoryMB))
			}
		}
	}
	if pct > 0 {
		env["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"] = strconv.Itoa(pct)
	}
	if len(limits) > 0 {
		env["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"] = strings.Join(limits, ",")
	}
}

// amdVisible lists AMD devices for ROCR_VISIBLE_DEVICES: UUIDs as they
// are, PCI bus IDs as indices.
func amdVisible(ids []string, cards []*drm.Card) (string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		if strings.HasPrefix(id, "GPU-") {
			out[i] = id
			continue
		}
		n, err := indices([]string{id}, cards, drm.VendorAMD)
		if err != nil {
			return "", err
		}
		out[i] = n
	}
	return strings.Join(out, ","), nil
}

// indices maps PCI bus IDs to the devices' indices among the vendor's
// cards in PCI bus order.
func indices(ids []string, cards []*drm.Card, vendorID string) (string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		n := drm.Index(cards, vendorID, id)
		if n < 0 {
			return "", fmt.Errorf("device %s is not a gpu of vendor %s in sysfs", id, vendorID)
		}
		out[i] = strconv.Itoa(n)
	}
	return strings.Join(out, ","), nil
}

// deviceIDs flattens the IDs of devs for logging.
func deviceIDs(devs []*api.AllocatedDevice) []string {
	var ids []string
	for _, d := range devs {
		ids = append(ids, d.DeviceIDs...)
	}
	return ids
}
