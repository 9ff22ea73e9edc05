package api

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Limits on what a job may ask for. They guard the servers against
// overflowing arithmetic and absurd requests, not real clusters.
const (
	MaxCount      = 10000
	MaxCPU        = 1 << 20 // MHz per task
	MaxMemoryMB   = 1 << 24 // 16 TiB per task
	MaxIDLength   = 128
	MaxPriority   = 100
	DefaultCPU    = 100
	DefaultMemory = 128
)

// KnownDrivers are the task drivers a job may name.
var KnownDrivers = []string{"wasm", "exec", "gpu"}

var (
	idPattern      = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	versionPattern = regexp.MustCompile(`^\s*(=|!=|>|>=|<|<=|~>)?\s*v?\d+(\.\d+){0,3}([-+][0-9A-Za-z.-]+)?\s*$`)
)

// Canonicalize fills in the defaults a job file may leave out: type,
// priority, name, restart policy and resources.
func (j *Job) Canonicalize() {
	if j.Type == "" {
		j.Type = JobTypeService
	}
	if j.Priority == 0 {
		j.Priority = 50
	}
	if j.Name == "" {
		j.Name = j.ID
	}
	for _, tg := range j.TaskGroups {
		if tg == nil {
			continue
		}
		if tg.RestartPolicy == nil {
			tg.RestartPolicy = defaultRestartPolicy(j.Type)
		}
		for _, t := range tg.Tasks {
			if t == nil {
				continue
			}
			if t.Resources == nil {
				t.Resources = &Resources{}
			}
			if t.Resources.CPU == 0 {
				t.Resources.CPU = DefaultCPU
			}
			if t.Resources.MemoryMB == 0 {
				t.Resources.MemoryMB = DefaultMemory
			}
			if t.KillTimeout == 0 {
				t.KillTimeout = int64(5 * time.Second)
			}
		}
	}
}

func defaultRestartPolicy(jobType string) *RestartPolicy {
	if jobType == JobTypeBatch {
		return &RestartPolicy{Attempts: 3, Interval: int64(24 * time.Hour),
			Delay: int64(5 * time.Second), Mode: RestartModeFail}
	}
	return &RestartPolicy{Attempts: 2, Interval: int64(30 * time.Minute),
		Delay: int64(5 * time.Second), Mode: RestartModeFail}
}

// ValidateID checks an object ID used in URLs and file paths.
func ValidateID(kind, id string) error {
	return validateName(kind+" ID", id)
}

// validateName checks an ID or name that ends up in URLs and file paths;
// what says which, as in "task name".
func validateName(what, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%s is missing", what)
	case len(id) > MaxIDLength:
		return fmt.Errorf("%s is %d characters long: use at most %d", what, len(id), MaxIDLength)
	case !idPattern.MatchString(id):
		return fmt.Errorf("%s %q may use only letters, digits, '-', '_' and '.', and must start with a letter or digit", what, id)
	}
	return nil
}

// Validate checks a canonicalized job and returns every problem found,
// each saying what to change.
func (j *Job) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := ValidateID("job", j.ID); err != nil {
		errs = append(errs, err)
	}
	if j.Type != JobTypeService && j.Type != JobTypeBatch {
		add("job type %q is not known: use %q or %q", j.Type, JobTypeService, JobTypeBatch)
	}
	if j.Priority < 1 || j.Priority > MaxPriority {
		add("job priority %d is out of range: use 1 to %d", j.Priority, MaxPriority)
	}
	if len(j.TaskGroups) == 0 {
		add("job has no task groups: add at least one group with a task")
	}
	errs = append(errs, validateConstraints("job", j.Constraints)...)
	groups := map[string]bool{}
	for i, tg := range j.TaskGroups {
		if tg == nil {
			add("task group %d is empty", i)
			continue
		}
		if groups[tg.Name] {
			add("task group name %q is used twice: give each group its own name", tg.Name)
		}
		groups[tg.Name] = true
		errs = append(errs, tg.validate()...)
	}
	return errors.Join(errs...)
}

func (tg *TaskGroup) validate() []error {
	var errs []error
	where := fmt.Sprintf("group %q", tg.Name)
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(where+": "+format, args...))
	}
	if err := validateName("task group name", tg.Name); err != nil {
		errs = append(errs, err)
	}
	if tg.Count < 0 || tg.Count > MaxCount {
		add("count %d is out of range: use 0 to %d", tg.Count, MaxCount)
	}
	if len(tg.Tasks) == 0 {
		add("no tasks: add at least one task")
	}
	if rp := tg.RestartPolicy; rp != nil {
		if rp.Attempts < 0 || rp.Interval < 0 || rp.Delay < 0 {
			add("restart attempts, interval and delay must not be negative")
		}
		if rp.Mode != RestartModeFail && rp.Mode != RestartModeDelay {
			add("restart mode %q is not known: use %q or %q", rp.Mode, RestartModeFail, RestartModeDelay)
		}
	}
	errs = append(errs, validateConstraints(where, tg.Constraints)...)
	tasks := map[string]bool{}
	for i, t := range tg.Tasks {
		if t == nil {
			add("task %d is empty", i)
			continue
		}
		if tasks[t.Name] {
			add("task name %q is used twice: give each task its own name", t.Name)
		}
		tasks[t.Name] = true
		for _, err := range t.validate() {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	return errs
}

func (t *Task) validate() []error {
	var errs []error
	where := fmt.Sprintf("task %q", t.Name)
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(where+": "+format, args...))
	}
	if err := validateName("task name", t.Name); err != nil {
		errs = append(errs, err)
	}
	known := false
	for _, d := range KnownDrivers {
		known = known || d == t.Driver
	}
	if !known {
		add("driver %q is not known: use one of %s", t.Driver, strings.Join(KnownDrivers, ", "))
	}
	if t.KillTimeout < 0 {
		add("kill_timeout must not be negative")
	}
	if r := t.Resources; r == nil {
		add("resources are missing")
	} else {
		if r.CPU < 1 || r.CPU > MaxCPU {
			add("cpu %d MHz is out of range: use 1 to %d", r.CPU, MaxCPU)
		}
		if r.MemoryMB < 1 || r.MemoryMB > MaxMemoryMB {
			add("memory %d MB is out of range: use 1 to %d", r.MemoryMB, MaxMemoryMB)
		}
		for _, d := range r.Devices {
			if err := d.validate(); err != nil {
				add("device %q: %v", d.Name, err)
			}
		}
	}
	errs = append(errs, validateConstraints(where, t.Constraints)...)
	return errs
}

func (d *DeviceRequest) validate() error {
	switch {
	case d.Name == "":
		return errors.New(`name is missing: use "gpu" or "vendor/gpu"`)
	case d.Count < 1 || d.Count > 64:
		return fmt.Errorf("count %d is out of range: use 1 to 64", d.Count)
	case d.MinMemoryMB < 0 || d.MPSMemoryMB < 0:
		return errors.New("memory must not be negative")
	}
	switch d.Sharing {
	case "", SharingExclusive, SharingTimeslice:
	case SharingMPS:
		if d.MPSComputePercent < 1 || d.MPSComputePercent > 100 {
			return fmt.Errorf("mps_compute_percent %d is out of range: use 1 to 100", d.MPSComputePercent)
		}
	default:
		return fmt.Errorf("sharing %q is not known: use exclusive, mps or timeslice", d.Sharing)
	}
	return errors.Join(validateConstraints("device", d.Constraints)...)
}

func validateConstraints(where string, cs []*Constraint) []error {
	var errs []error
	for _, c := range cs {
		if c == nil {
			continue
		}
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	return errs
}

// Validate checks one constraint.
func (c *Constraint) Validate() error {
	switch c.Operand {
	case ConstraintDistinctHosts:
		return nil
	case ConstraintEqual, ConstraintNotEqual, ConstraintLess, ConstraintLessEqual,
		ConstraintGreater, ConstraintGreaterEqual, ConstraintIsSet:
	case ConstraintRegex:
		if _, err := regexp.Compile(c.RTarget); err != nil {
			return fmt.Errorf("constraint regexp %q does not compile: %v", c.RTarget, err)
		}
	case ConstraintVersion:
		for _, part := range strings.Split(c.RTarget, ",") {
			if !versionPattern.MatchString(part) {
				return fmt.Errorf("constraint version %q is not a version comparison: write it like \">= 1.2, < 2.0\"", c.RTarget)
			}
		}
	default:
		return fmt.Errorf("constraint operator %q is not known: use =, !=, <, <=, >, >=, regexp, version, is_set or distinct_hosts", c.Operand)
	}
	if c.LTarget == "" {
		return fmt.Errorf("constraint with operator %q has no attribute: set it, e.g. \"${attr.kernel.name}\"", c.Operand)
	}
	return nil
}
