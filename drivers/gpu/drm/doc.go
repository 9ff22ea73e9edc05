// Package drm lists the GPUs that the kernel's Direct Rendering Manager
// exposes in sysfs, under class/drm/card*/device. It reads what amdgpu,
// i915 and xe publish there (PCI identity, VRAM size and use, busy percent,
// hwmon sensors) and nothing else: no ioctl, no vendor library.
//
// Both the client's device discovery and the gpu task driver use it, so
// that the two agree on which card is which and on the order vendor
// runtimes number them in (PCI bus order).
package drm
