package devices

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// reason says why an instance cannot take a request, or that it can.
type reason int

// The reasons, in the order an instance is tested and an error lists them.
const (
	fits reason = iota
	reasonUnhealthy
	reasonTooSmall
	reasonCompute
	reasonConstraint
	reasonNoMPS
	reasonExclusive
	reasonOtherMode
	reasonFull
	numReasons
)

// request is a checked and compiled device request.
type request struct {
	r       *api.DeviceRequest
	sharing string
	// vendor, typ and model come from the request name; empty when the
	// name leaves them out.
	vendor, typ, model string
	vendorRE, modelRE  *regexp.Regexp
	minCC              version
	constraints        []*deviceConstraint
	affinities         []*deviceConstraint
	// affinityTotal is the sum of the absolute affinity weights.
	affinityTotal int
}

// matchesGroup reports whether g is of the kind the request names.
func (q *request) matchesGroup(g *api.DeviceGroup) bool {
	if q.vendor != "" && !strings.EqualFold(g.Vendor, q.vendor) {
		return false
	}
	switch {
	case q.typ == typeGPU && q.r.MIGProfile != "":
		if !strings.EqualFold(g.Type, typeMIG) {
			return false
		}
	case !strings.EqualFold(g.Type, q.typ):
		return false
	}
	if q.model != "" && !sameModel(g, q.model, q.r.MIGProfile) {
		return false
	}
	if q.vendorRE != nil && !q.vendorRE.MatchString(g.Vendor) {
		return false
	}
	return q.modelRE == nil || q.modelRE.MatchString(g.Model)
}

// matchesProfile reports whether the instance in s has the MIG profile the
// request asks for, if it asks for one.
func (q *request) matchesProfile(s *slot) bool {
	if q.r.MIGProfile == "" {
		return true
	}
	p, _ := migProfile(s)
	return strings.EqualFold(p, q.r.MIGProfile)
}

// sameModel reports whether the group's model is the one a request name
// gives. Case, a leading vendor word and, for MIG groups, the trailing
// profile are ignored: "nvidia/gpu/A100-SXM4-40GB" names the group
// "NVIDIA A100-SXM4-40GB" and its MIG groups "NVIDIA A100-SXM4-40GB 1g.5gb".
func sameModel(g *api.DeviceGroup, want, profile string) bool {
	norm := func(m string) string {
		m = strings.ToLower(strings.TrimSpace(m))
		if v := strings.ToLower(g.Vendor); v != "" {
			m = strings.TrimSpace(strings.TrimPrefix(m, v+" "))
		}
		return m
	}
	have := norm(g.Model)
	if strings.EqualFold(g.Type, typeMIG) {
		if profile == "" {
			profile = g.Attributes[attrMIGProfile]
		}
		have = strings.TrimSpace(strings.TrimSuffix(have, strings.ToLower(profile)))
	}
	return have == norm(want)
}

// static tests what does not change with the node's allocations: health,
// size, compute capability, constraints and vendor support for MPS.
func (q *request) static(s *slot) reason {
	in := s.inst
	switch {
	case !in.Healthy:
		return reasonUnhealthy
	case in.MemoryMB < q.r.MinMemoryMB:
		return reasonTooSmall
	case q.sharing == api.SharingMPS && q.r.MPSMemoryMB > in.MemoryMB:
		return reasonTooSmall
	case q.minCC != nil && !q.computeOK(s):
		return reasonCompute
	case q.sharing == api.SharingMPS && !strings.EqualFold(s.group.Vendor, "nvidia"):
		return reasonNoMPS
	}
	for _, c := range q.constraints {
		if !c.match(s) {
			return reasonConstraint
		}
	}
	return fits
}

// computeOK reports whether the instance's compute capability is at least
// the requested one.
func (q *request) computeOK(s *slot) bool {
	cc, ok := deviceValue(s, "attr."+attrComputeCapability)
	if !ok {
		return false
	}
	v, err := parseVersion(cc)
	return err == nil && compareVersions(v, q.minCC) >= 0
}

// room tests whether the holders already on s leave room for one more
// holder of this request.
func (q *request) room(s *slot) reason {
	switch {
	case s.mixed:
		return reasonOtherMode
	case s.holders == 0:
		return fits
	case s.mode == api.SharingExclusive:
		return reasonExclusive
	case s.mode != q.sharing:
		return reasonOtherMode
	case q.sharing == api.SharingMPS:
		if s.mpsPercent+q.r.MPSComputePercent > 100 || s.mpsMemoryMB+q.r.MPSMemoryMB > s.inst.MemoryMB {
			return reasonFull
		}
	case q.sharing == api.SharingTimeslice:
		if s.holders >= s.timeslice() {
			return reasonFull
		}
	}
	return fits
}

// affinity returns the affinity score of the instance in s, in [-1, 1]:
// the weights of the matching affinities over the sum of all weights.
func (q *request) affinity(s *slot) float64 {
	if q.affinityTotal == 0 {
		return 0
	}
	sum := 0
	for _, a := range q.affinities {
		if a.match(s) {
			sum += a.weight
		}
	}
	return float64(sum) / float64(q.affinityTotal)
}

// describe names what the request asks for, for error messages.
func (q *request) describe() string {
	var b strings.Builder
	b.WriteString(q.r.Name)
	if q.r.MIGProfile != "" {
		fmt.Fprintf(&b, " MIG %s", q.r.MIGProfile)
	}
	if q.r.Vendor != "" {
		fmt.Fprintf(&b, " vendor ~ %q", q.r.Vendor)
	}
	if q.r.Model != "" {
		fmt.Fprintf(&b, " model ~ %q", q.r.Model)
	}
	if q.r.MinMemoryMB > 0 {
		fmt.Fprintf(&b, " with at least %d MB", q.r.MinMemoryMB)
	}
	if q.r.MinComputeCapability != "" {
		fmt.Fprintf(&b, " compute capability >= %s", q.r.MinComputeCapability)
	}
	return b.String()
}

// holderText says what one holder of the request takes, for error
// messages.
func (q *request) holderText() string {
	switch q.sharing {
	case api.SharingMPS:
		return fmt.Sprintf("an mps share of %d%% and %d MB", q.r.MPSComputePercent, q.r.MPSMemoryMB)
	case api.SharingTimeslice:
		return "a timeslice share"
	}
	return "exclusive use"
}

// reasonText says what n instances turned away for r have in common.
func (q *request) reasonText(r reason, n int) string {
	switch r {
	case reasonUnhealthy:
		return fmt.Sprintf("%d unhealthy", n)
	case reasonTooSmall:
		need := max(q.r.MinMemoryMB, q.r.MPSMemoryMB)
		return fmt.Sprintf("%d with less than %d MB", n, need)
	case reasonCompute:
		return fmt.Sprintf("%d below compute capability %s", n, q.r.MinComputeCapability)
	case reasonConstraint:
		return fmt.Sprintf("%d failing the device constraints", n)
	case reasonNoMPS:
		return fmt.Sprintf("%d not from nvidia, which mps needs", n)
	case reasonExclusive:
		return fmt.Sprintf("%d held exclusively", n)
	case reasonOtherMode:
		return fmt.Sprintf("%d shared in another mode", n)
	case reasonFull:
		return fmt.Sprintf("%d shared with no room left", n)
	}
	return fmt.Sprintf("%d free", n)
}
