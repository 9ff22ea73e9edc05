// Package devices assigns GPU and other device instances to tasks and checks
// that a node's allocations never share a device beyond what its sharing
// mode allows. It is pure code: no I/O, no clocks.
package devices
