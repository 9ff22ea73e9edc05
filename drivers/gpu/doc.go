// Package gpu is the task driver for processes bound to GPUs.
//
// It runs a process as the exec driver does (same config: command, args)
// and restricts it to the device instances the scheduler assigned in
// TaskConfig.Resources.Devices, through the variables each vendor's
// runtime honours:
//
//   - NVIDIA: NVIDIA_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES list the GPU
//     or MIG device UUIDs. An MPS share adds CUDA_MPS_PIPE_DIRECTORY
//     (config "mps_pipe_directory", default /tmp/nvidia-mps),
//     CUDA_MPS_ACTIVE_THREAD_PERCENTAGE and CUDA_MPS_PINNED_DEVICE_MEM_LIMIT
//     ("<uuid>=<N>M" per device).
//   - AMD: ROCR_VISIBLE_DEVICES lists "GPU-<unique_id>" UUIDs where the
//     card has one, else the card's index among the node's AMD GPUs in PCI
//     bus order, which is the order ROCm enumerates them in.
//   - Intel: ZE_AFFINITY_MASK lists indices, since Level Zero takes no
//     UUIDs there. The driver sets ZE_ENABLE_PCI_ID_DEVICE_ORDER=1 so that
//     Level Zero numbers devices in PCI bus order, and gives each assigned
//     device its index among all the node's Intel GPUs (integrated ones
//     included, as Level Zero sees them) in that order.
//
// The driver does not limit the process's address space: CUDA and ROCm
// reserve far more virtual memory than they use, so RLIMIT_AS would make
// every GPU program fail.
package gpu
