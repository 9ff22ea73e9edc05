// Package devices assigns GPU and other device instances to tasks and checks
// that a node's allocations never share a device beyond what its sharing
// mode allows. It is pure code: no I/O, no clocks, no goroutines, and the
// same inputs always give the same answer.
//
// Devices appear in a node record as api.DeviceGroup values (one group per
// vendor, type and model; MIG instances form groups of type "mig", one per
// GPU model and MIG profile) whose api.DeviceInstance values are the units
// a task can hold. A task holds an instance in one of three sharing modes:
//
//   - exclusive (the default): the holder is alone on the instance;
//   - mps: every holder names a compute percentage and a memory share, and
//     the sums on one instance stay within 100 percent and the instance's
//     memory;
//   - timeslice: up to the instance attribute "timeslice_replicas" (default
//     4) holders take turns.
//
// Modes never mix on one instance.
//
// The scheduler calls Assign for each candidate node with the node's
// non-terminal allocations, those of the plan being built included. Assign
// picks instances for every device request of a task and returns a score in
// [0, 1] that is higher for a tighter fit: it fills partly used shared GPUs
// and partly used MIG layouts before breaking into a free GPU, and small
// requests go to the smallest GPU that serves them, so that large requests
// still find room later.
//
// The plan applier calls Check (or CheckPlan) on the newest state before it
// commits a plan: it is the last line of defence against two plans built on
// the same stale snapshot both taking one GPU. Usage and ValidateRequest
// serve the HTTP API.
package devices
