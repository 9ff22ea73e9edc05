package devices

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// migProfilePattern is the form of a MIG profile name: "1g.10gb",
// "3g.40gb", "1g.10gb+me" or the compute-instance form "1c.3g.40gb".
var migProfilePattern = regexp.MustCompile(`^(\d+c\.)?\d+g\.\d+gb(\+[a-z]+)?$`)

// ValidateRequest checks a device request before it is scheduled: the
// name has the form "type", "vendor/type" or "vendor/type/model", the count
// is at least 1, the sharing mode is known, an mps request gives a compute
// percent from 1 to 100, the MIG profile reads like "1g.10gb", the vendor
// and model patterns compile, and the constraints and affinities name
// device attributes. Every problem found is reported, each wrapping
// ErrInvalidRequest and saying what to change.
func ValidateRequest(r *api.DeviceRequest) error {
	_, err := compileRequest(r)
	return err
}

// compileRequest checks r and compiles what matching needs.
//
// TODO: a scheduler calls Assign once per candidate node with the same
// requests, so their patterns are compiled once per node; a cache keyed by
// the request's content would save that work on large clusters.
func compileRequest(r *api.DeviceRequest) (*request, error) {
	if r == nil {
		return nil, invalid("device request is missing")
	}
	q := &request{r: r, sharing: sharingMode(r.Sharing)}
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, &kindError{kind: ErrInvalidRequest, msg: err.Error()})
		}
	}
	add(q.parseName())
	add(checkCounts(r))
	add(checkSharing(r))
	if r.MIGProfile != "" && !migProfilePattern.MatchString(r.MIGProfile) {
		add(fmt.Errorf("mig profile %q is not a MIG profile: write it like %q or %q",
			r.MIGProfile, "1g.10gb", "3g.40gb"))
	}
	q.vendorRE = compilePattern("vendor", r.Vendor, add)
	q.modelRE = compilePattern("model", r.Model, add)
	if r.MinComputeCapability != "" {
		v, err := parseVersion(r.MinComputeCapability)
		if err != nil {
			add(fmt.Errorf("min compute capability: %w", err))
		}
		q.minCC = v
	}
	for _, c := range r.Constraints {
		if c == nil {
			continue
		}
		dc, err := compileConstraint(c)
		add(err)
		q.constraints = append(q.constraints, dc)
	}
	for _, a := range r.Affinities {
		if a == nil {
			continue
		}
		dc, err := compileAffinity(a)
		add(err)
		if dc != nil {
			q.affinities = append(q.affinities, dc)
			q.affinityTotal += max(dc.weight, -dc.weight)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return q, nil
}

// parseName splits the request name into vendor, type and model.
func (q *request) parseName() error {
	name := strings.TrimSpace(q.r.Name)
	parts := strings.SplitN(name, "/", 3)
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("name %q is not a device name: use %q, %q or %q",
				q.r.Name, "gpu", "nvidia/gpu", "nvidia/gpu/<model>")
		}
	}
	switch len(parts) {
	case 1:
		q.typ = strings.ToLower(parts[0])
	case 2:
		q.vendor, q.typ = strings.ToLower(parts[0]), strings.ToLower(parts[1])
	default:
		q.vendor, q.typ, q.model = strings.ToLower(parts[0]), strings.ToLower(parts[1]), parts[2]
	}
	if q.r.MIGProfile != "" && q.typ != typeGPU && q.typ != typeMIG {
		return fmt.Errorf("mig profile %q needs a gpu: name the device %q or %q, not %q",
			q.r.MIGProfile, "gpu", "nvidia/gpu", q.r.Name)
	}
	return nil
}

// checkCounts checks the count and the memory sizes.
func checkCounts(r *api.DeviceRequest) error {
	switch {
	case r.Count < 1:
		return fmt.Errorf("count %d is out of range: ask for at least 1 device", r.Count)
	case r.MinMemoryMB < 0:
		return fmt.Errorf("min memory %d MB is negative: use 0 or more", r.MinMemoryMB)
	case r.MPSMemoryMB < 0:
		return fmt.Errorf("mps memory %d MB is negative: use 0 or more", r.MPSMemoryMB)
	}
	return nil
}

// checkSharing checks the sharing mode and the MPS share.
func checkSharing(r *api.DeviceRequest) error {
	switch r.Sharing {
	case "", api.SharingExclusive, api.SharingTimeslice:
		if r.MPSComputePercent != 0 || r.MPSMemoryMB != 0 {
			return fmt.Errorf("mps compute percent and mps memory are set but sharing is %q: "+
				"set sharing to %q or remove them", sharingMode(r.Sharing), api.SharingMPS)
		}
	case api.SharingMPS:
		if r.MPSComputePercent < 1 || r.MPSComputePercent > 100 {
			return fmt.Errorf("mps compute percent %d is out of range: use 1 to 100", r.MPSComputePercent)
		}
	default:
		return fmt.Errorf("sharing %q is not known: use %q, %q or %q",
			r.Sharing, api.SharingExclusive, api.SharingMPS, api.SharingTimeslice)
	}
	return nil
}

// compilePattern compiles the vendor or model pattern of a request,
// reporting a pattern that does not compile through add.
func compilePattern(what, pattern string, add func(error)) *regexp.Regexp {
	if pattern == "" {
		return nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		add(fmt.Errorf("%s pattern %q does not compile: fix the regular expression (%v)",
			what, pattern, err))
	}
	return re
}

// kindError is an error whose message stands alone and that wraps one of
// the package's sentinel errors.
type kindError struct {
	kind error
	msg  string
}

// Error returns the message.
func (e *kindError) Error() string { return e.msg }

// Unwrap returns the sentinel.
func (e *kindError) Unwrap() error { return e.kind }

// invalid returns an ErrInvalidRequest with the given message.
func invalid(msg string) error {
	return &kindError{kind: ErrInvalidRequest, msg: msg}
}
