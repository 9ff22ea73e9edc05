// Package gpu discovers the GPUs of a client node and watches them.
//
// Discover fingerprints NVIDIA GPUs through NVML (github.com/NVIDIA/go-nvml,
// which loads libnvidia-ml.so at run time) and AMD and Intel GPUs through
// sysfs (class/drm/card*/device). It returns an Inventory whose Groups are
// the api.DeviceGroups a node record carries:
//
//   - a GPU without MIG is an instance (ID = GPU UUID) of a group
//     {Vendor, Type: "gpu", Model: device name};
//   - a GPU with MIG enabled is not listed whole; each MIG device is an
//     instance (ID = MIG UUID, ParentID = GPU UUID, MIGProfile) of a group
//     {Vendor: "nvidia", Type: "mig", Model: "<gpu name> <profile>"}.
//
// A node without NVML, or without GPUs, is normal: Discover logs it once
// at info level and returns an empty inventory, never an error.
//
// Options.Mock selects one of go-nvml's simulated DGX servers instead of
// the library ("dgxa100", "dgxh100", "dgxh200", "dgxb200"), optionally with
// MIG enabled on two of its GPUs ("dgxa100-mig" and so on). Such an
// inventory reports Mocked() and must be flagged as such in the node
// record; it exists for development clusters and tests.
//
// WatchHealth follows NVML's XID critical error events and polls every
// device, calling back with the updated groups when an instance turns
// unhealthy (or a device that stopped answering answers again). Sample
// reads utilisation, memory, temperature and power per physical GPU.
//
// Call Close when done: it stops the watchers and shuts NVML down.
package gpu
