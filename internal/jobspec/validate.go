package jobspec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// operands lists the constraint and affinity operators a job may use.
var operands = []string{
	api.ConstraintEqual, api.ConstraintNotEqual, api.ConstraintRegex,
	api.ConstraintVersion, api.ConstraintDistinctHosts, api.ConstraintLess,
	api.ConstraintLessEqual, api.ConstraintGreater, api.ConstraintGreaterEqual,
	api.ConstraintIsSet,
}

var operandList = `"` + strings.Join(operands, `", "`) + `"`

func validOperand(op string) bool {
	for _, o := range operands {
		if o == op {
			return true
		}
	}
	return false
}

// validate fills the defaults the servers would (api.Job.Canonicalize),
// then checks the job with the servers' rules (api.Job.Validate) and with
// the device checks only a job file needs. It returns every problem.
func validate(job *api.Job) error {
	defaultOperands(job)
	job.Canonicalize()
	errs := []error{job.Validate()}
	for _, tg := range job.TaskGroups {
		if tg == nil {
			continue
		}
		for _, t := range tg.Tasks {
			if t == nil || t.Resources == nil {
				continue
			}
			for _, dev := range t.Resources.Devices {
				if dev == nil {
					continue
				}
				for _, err := range checkDevice(dev) {
					errs = append(errs, fmt.Errorf("group %q: task %q: device %q: %w",
						tg.Name, t.Name, dev.Name, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// defaultOperands sets "=" on constraints that name no operator.
func defaultOperands(job *api.Job) {
	set := func(cs []*api.Constraint) {
		for _, c := range cs {
			if c != nil && c.Operand == "" {
				c.Operand = api.ConstraintEqual
			}
		}
	}
	set(job.Constraints)
	for _, tg := range job.TaskGroups {
		if tg == nil {
			continue
		}
		set(tg.Constraints)
		for _, t := range tg.Tasks {
			if t == nil {
				continue
			}
			set(t.Constraints)
			if t.Resources == nil {
				continue
			}
			for _, d := range t.Resources.Devices {
				if d != nil {
					set(d.Constraints)
				}
			}
		}
	}
}

// checkDevice checks what api.Job.Validate leaves to the job file: MPS
// settings without MPS sharing, MIG with MPS, and affinities.
func checkDevice(dev *api.DeviceRequest) []error {
	var errs []error
	if (dev.MPSComputePercent != 0 || dev.MPSMemoryMB != 0) && dev.Sharing != api.SharingMPS {
		errs = append(errs, errors.New(`mps_compute_percent and mps_memory need sharing = "mps"`))
	}
	if dev.MIGProfile != "" && dev.Sharing == api.SharingMPS {
		errs = append(errs, errors.New("a MIG instance cannot be shared with MPS; drop mig_profile or sharing"))
	}
	for _, a := range dev.Affinities {
		if a == nil {
			continue
		}
		if !validOperand(a.Operand) {
			errs = append(errs, fmt.Errorf("affinity operator %q is unknown; use one of %s", a.Operand, operandList))
		}
		if a.Weight < -100 || a.Weight > 100 || a.Weight == 0 {
			errs = append(errs, fmt.Errorf("affinity weight %d is out of range; use -100 to 100, not 0", a.Weight))
		}
		if a.LTarget == "" {
			errs = append(errs, errors.New(`affinity has no attribute; set attribute, such as "${device.model}"`))
		}
	}
	return errs
}
