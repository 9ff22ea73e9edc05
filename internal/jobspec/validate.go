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

// validate fills defaults and checks what the decoders cannot: names,
// types, counts and modes. It returns every problem found.
func validate(job *api.Job) error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if job.ID == "" {
		add(`the job has no ID; set "ID" (JSON) or write job "name" { ... } (HCL)`)
	} else if strings.ContainsAny(job.ID, " \t\n/") {
		add("job ID %q holds a space or slash; use letters, digits, '-' and '_'", job.ID)
	}
	if job.Name == "" {
		job.Name = job.ID
	}
	switch job.Type {
	case "":
		job.Type = api.JobTypeService
	case api.JobTypeService, api.JobTypeBatch:
	default:
		add("job type %q is unknown; use %q or %q", job.Type, api.JobTypeService, api.JobTypeBatch)
	}
	if job.Priority == 0 {
		job.Priority = 50
	}
	if job.Priority < 1 || job.Priority > 100 {
		add("job priority %d is out of range; use 1 to 100", job.Priority)
	}
	errs = append(errs, checkConstraints("job", job.Constraints)...)
	if len(job.TaskGroups) == 0 {
		add("job %q has no groups; add a group block holding at least one task", job.ID)
	}
	seen := map[string]bool{}
	for _, tg := range job.TaskGroups {
		if tg == nil {
			add("job %q lists an empty group", job.ID)
			continue
		}
		if seen[tg.Name] {
			add("group %q is defined twice; give each group its own name", tg.Name)
		}
		seen[tg.Name] = true
		errs = append(errs, checkGroup(tg)...)
	}
	return errors.Join(errs...)
}

func checkGroup(tg *api.TaskGroup) []error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("group %q: "+format, append([]any{tg.Name}, args...)...))
	}
	if tg.Name == "" {
		add("the group has no name; write group \"name\" { ... }")
	}
	if tg.Count < 0 {
		add("count %d is negative; use 0 or more", tg.Count)
	}
	if rp := tg.RestartPolicy; rp != nil {
		switch rp.Mode {
		case "":
			rp.Mode = api.RestartModeFail
		case api.RestartModeFail, api.RestartModeDelay:
		default:
			add("restart mode %q is unknown; use %q or %q", rp.Mode, api.RestartModeFail, api.RestartModeDelay)
		}
		if rp.Attempts < 0 || rp.Interval < 0 || rp.Delay < 0 {
			add("restart attempts, interval and delay must not be negative")
		}
		if rp.Mode == api.RestartModeDelay && rp.Interval == 0 {
			add("restart mode %q needs an interval to wait out; set interval", rp.Mode)
		}
	}
	errs = append(errs, checkConstraints(fmt.Sprintf("group %q", tg.Name), tg.Constraints)...)
	if len(tg.Tasks) == 0 {
		add("the group has no tasks; add a task block")
	}
	seen := map[string]bool{}
	for _, t := range tg.Tasks {
		if t == nil {
			add("an empty task is listed")
			continue
		}
		if seen[t.Name] {
			add("task %q is defined twice; give each task its own name", t.Name)
		}
		seen[t.Name] = true
		for _, err := range checkTask(t) {
			errs = append(errs, fmt.Errorf("group %q: %w", tg.Name, err))
		}
	}
	return errs
}

func checkTask(t *api.Task) []error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("task %q: "+format, append([]any{t.Name}, args...)...))
	}
	if t.Name == "" || strings.ContainsAny(t.Name, "/\\") || t.Name == "." || t.Name == ".." {
		add("the task name must be non-empty and hold no slash")
	}
	if t.Driver == "" {
		add(`the task has no driver; set driver = "wasm", "exec", "gpu" or "function"`)
	}
	if t.KillTimeout < 0 {
		add("kill_timeout must not be negative")
	}
	errs = append(errs, checkConstraints(fmt.Sprintf("task %q", t.Name), t.Constraints)...)
	r := t.Resources
	if r == nil {
		return errs
	}
	if r.CPU < 0 || r.MemoryMB < 0 {
		add("resources cpu and memory must not be negative")
	}
	for _, dev := range r.Devices {
		errs = append(errs, checkDevice(t.Name, dev)...)
	}
	return errs
}

func checkDevice(task string, dev *api.DeviceRequest) []error {
	if dev == nil {
		return []error{fmt.Errorf("task %q: an empty device is listed", task)}
	}
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("task %q: device %q: "+format,
			append([]any{task, dev.Name}, args...)...))
	}
	if dev.Name == "" {
		add(`the device has no name; write device "nvidia/gpu" { ... }`)
	}
	if dev.Count < 1 {
		add("count %d must be at least 1", dev.Count)
	}
	switch dev.Sharing {
	case "", api.SharingExclusive, api.SharingMPS, api.SharingTimeslice:
	default:
		add("sharing %q is unknown; use %q, %q or %q", dev.Sharing,
			api.SharingExclusive, api.SharingMPS, api.SharingTimeslice)
	}
	if dev.MPSComputePercent < 0 || dev.MPSComputePercent > 100 {
		add("mps_compute_percent %d is out of range; use 1 to 100", dev.MPSComputePercent)
	}
	if (dev.MPSComputePercent > 0 || dev.MPSMemoryMB > 0) && dev.Sharing != api.SharingMPS {
		add(`mps_compute_percent and mps_memory need sharing = "mps"`)
	}
	if dev.MIGProfile != "" && dev.Sharing == api.SharingMPS {
		add("a MIG instance cannot be shared with MPS; drop mig_profile or sharing")
	}
	errs = append(errs, checkConstraints(fmt.Sprintf("task %q: device %q", task, dev.Name), dev.Constraints)...)
	for _, a := range dev.Affinities {
		if a != nil && (!validOperand(a.Operand) || a.Weight < -100 || a.Weight > 100) {
			add("affinity on %q needs an operator among %s and a weight from -100 to 100",
				a.LTarget, operandList)
		}
	}
	return errs
}

func checkConstraints(where string, cons []*api.Constraint) []error {
	var errs []error
	for _, c := range cons {
		if c == nil {
			continue
		}
		if c.Operand == "" {
			c.Operand = api.ConstraintEqual
		}
		if !validOperand(c.Operand) {
			errs = append(errs, fmt.Errorf("%s: constraint operator %q is unknown; use one of %s",
				where, c.Operand, operandList))
			continue
		}
		if c.LTarget == "" && c.Operand != api.ConstraintDistinctHosts {
			errs = append(errs, fmt.Errorf("%s: constraint has no attribute; set attribute, such as \"${attr.kernel.name}\"",
				where))
		}
	}
	return errs
}
