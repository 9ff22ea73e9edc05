package devices

import (
	"errors"

	"github.com/constellation-sched/constellation/api"
)

// errUnbuilt marks the device allocator as not yet written.
// TODO: replace with the real allocator (being written now).
var errUnbuilt = errors.New("device scheduling is not available yet")

// Assign picks device instances on node for reqs, given the non-terminal
// allocations already on the node (those of the plan being built included).
// It returns the assignment and a packing score in [0, 1], higher for a
// tighter fit, or an error that names why the node cannot serve the request.
func Assign(node *api.Node, existing []*api.Allocation, reqs []*api.DeviceRequest) ([]*api.AllocatedDevice, float64, error) {
	if len(reqs) == 0 {
		return nil, 0, nil
	}
	return nil, 0, errUnbuilt
}

// Check verifies that allocs, the non-terminal allocations of one node,
// never hold an exclusive device twice, never overfill a shared one, and
// only use device instances the node has and reports healthy.
func Check(node *api.Node, allocs []*api.Allocation) error {
	for _, a := range allocs {
		for _, r := range a.Resources {
			if len(r.Devices) > 0 {
				return errUnbuilt
			}
		}
	}
	return nil
}
