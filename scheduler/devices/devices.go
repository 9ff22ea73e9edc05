package devices

import (
	"errors"

	"github.com/constellation-sched/constellation/api"
)

var (
	// ErrInvalidRequest is wrapped by the errors of ValidateRequest, and
	// of Assign when a device request is malformed.
	ErrInvalidRequest = errors.New("invalid device request")

	// ErrNoFit is wrapped by the error Assign returns when the node cannot
	// serve a request; the message says why.
	ErrNoFit = errors.New("devices do not fit")

	// ErrDeviceConflict is wrapped by Check's errors for a device held by
	// more holders than its sharing mode allows, or in mixed modes.
	ErrDeviceConflict = errors.New("device held beyond its sharing mode")

	// ErrUnknownDevice is wrapped by Check's errors for a device the node
	// does not have.
	ErrUnknownDevice = errors.New("device not on node")

	// ErrUnhealthyDevice is wrapped by Check's errors for a device the node
	// reports unhealthy.
	ErrUnhealthyDevice = errors.New("device unhealthy")

	// ErrInvalidHolding is wrapped by Check's errors for an allocated
	// device with an unknown sharing mode or an MPS share out of range.
	ErrInvalidHolding = errors.New("invalid device holding")
)

// Assign picks device instances on node for reqs, given the non-terminal
// allocations already on the node (those of the plan being built included).
// It returns the assignment and a packing score in [0, 1], higher for a
// tighter fit, or an error that names why the node cannot serve the request.
//
// Terminal allocations in existing are skipped, and an allocation ID that
// appears more than once counts once, as its last copy. The requests are
// served in order, each seeing the instances the earlier ones took. Each
// request's instances come from one device group, so that a multi-GPU task
// gets GPUs of one model. Among the groups and instances that
// can serve it, Assign prefers higher affinity, then the tighter fit (see
// the package documentation), then less memory, then the earlier instance
// in the node record; the same inputs always give the same choice.
//
// Errors wrap ErrInvalidRequest for a malformed request and ErrNoFit when
// the node cannot serve one.
func Assign(node *api.Node, existing []*api.Allocation,
	reqs []*api.DeviceRequest) ([]*api.AllocatedDevice, float64, error) {
	if len(reqs) == 0 {
		return nil, 0, nil
	}
	qs := make([]*request, len(reqs))
	for i, r := range reqs {
		q, err := compileRequest(r)
		if err != nil {
			return nil, 0, &kindError{kind: ErrInvalidRequest, msg: describeInvalid(r, err)}
		}
		qs[i] = q
	}

	// Most nodes a scheduler asks have no device of the kind wanted at
	// all; tell them apart before counting holdings.
	for _, q := range qs {
		if !anyGroupMatches(node, q) {
			return nil, 0, &fitError{q: q, devices: nodeDevices(node)}
		}
	}

	// TODO: requests are served in the order given; a task whose first
	// request takes instances its second one needed is refused even when
	// the other order fits. Serving the most constrained request first
	// would catch the common cases.
	inv := newInventory(node, existing)
	out := make([]*api.AllocatedDevice, len(qs))
	total := 0.0
	for i, q := range qs {
		d, score, err := inv.assign(q)
		if err != nil {
			return nil, 0, err
		}
		out[i] = d
		total += score
	}
	return out, total / float64(len(qs)), nil
}

// Check verifies that allocs, the non-terminal allocations of one node,
// never hold an exclusive device twice, never overfill a shared one, never
// mix sharing modes on one device, and only use device instances the node
// has and reports healthy. Terminal allocations are skipped; when an
// allocation ID appears more than once, the last one counts. Every problem
// found is reported, each wrapping ErrDeviceConflict, ErrUnknownDevice,
// ErrUnhealthyDevice or ErrInvalidHolding.
func Check(node *api.Node, allocs []*api.Allocation) error {
	return check(node, nil, allocs)
}

// CheckPlan is Check for a plan applier that knows which allocations are
// new: it counts existing and proposed allocations together, an existing
// allocation being replaced by a proposed one of the same ID, but reports
// only problems that involve a proposed allocation. An existing
// allocation on a device that has since turned unhealthy or gone thus does
// not keep new work off the node's other devices.
func CheckPlan(node *api.Node, existing, proposed []*api.Allocation) error {
	return check(node, existing, proposed)
}

// describeInvalid names the request in the message of its validation
// error.
func describeInvalid(r *api.DeviceRequest, err error) string {
	if r == nil {
		return err.Error()
	}
	return "device request \"" + r.Name + "\": " + err.Error()
}

// anyGroupMatches reports whether node has a device group of the kind q
// names.
func anyGroupMatches(node *api.Node, q *request) bool {
	for _, g := range nodeDevices(node) {
		if g != nil && q.matchesGroup(g) {
			return true
		}
	}
	return false
}

// nodeDevices returns the device groups of node, nil for a node without.
func nodeDevices(node *api.Node) []*api.DeviceGroup {
	if node == nil || node.Resources == nil {
		return nil
	}
	return node.Resources.Devices
}
