package devices

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// targetHelp lists the attribute references a device constraint may use.
const targetHelp = `use "${device.attr.<key>}", "${device.vendor}", "${device.type}", ` +
	`"${device.model}", "${device.id}", "${device.parent_id}" or "${device.mig_profile}"`

// deviceConstraint is a compiled constraint or affinity on the attributes
// of a device instance.
type deviceConstraint struct {
	c *api.Constraint
	// field is what the left target names: "vendor", "model", ... or
	// "attr.<key>".
	field  string
	re     *regexp.Regexp
	clause []versionClause
	weight int
}

// compileConstraint checks and compiles one device constraint.
func compileConstraint(c *api.Constraint) (*deviceConstraint, error) {
	if c.Operand == api.ConstraintDistinctHosts {
		return nil, fmt.Errorf("operator %q does not apply to devices: use it on the task group",
			c.Operand)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	field, ok := parseTarget(c.LTarget)
	if !ok {
		return nil, fmt.Errorf("constraint target %q is not a device attribute: %s",
			c.LTarget, targetHelp)
	}
	dc := &deviceConstraint{c: c, field: field}
	var err error
	switch c.Operand {
	case api.ConstraintRegex:
		dc.re, err = regexp.Compile(c.RTarget)
	case api.ConstraintVersion:
		dc.clause, err = parseVersionConstraint(c.RTarget)
	}
	if err != nil {
		return nil, fmt.Errorf("constraint on %s: %w", c.LTarget, err)
	}
	return dc, nil
}

// compileAffinity checks and compiles one device affinity.
func compileAffinity(a *api.Affinity) (*deviceConstraint, error) {
	if a.Weight == 0 || a.Weight < -100 || a.Weight > 100 {
		return nil, fmt.Errorf("affinity on %s has weight %d: use -100 to 100, not 0",
			a.LTarget, a.Weight)
	}
	c := &api.Constraint{LTarget: a.LTarget, RTarget: a.RTarget, Operand: a.Operand}
	dc, err := compileConstraint(c)
	if err != nil {
		return nil, fmt.Errorf("affinity: %w", err)
	}
	dc.weight = a.Weight
	return dc, nil
}

// parseTarget returns the field a "${device.<field>}" reference names.
func parseTarget(t string) (string, bool) {
	t = strings.TrimSpace(t)
	if !strings.HasPrefix(t, "${device.") || !strings.HasSuffix(t, "}") {
		return "", false
	}
	field := t[len("${device.") : len(t)-1]
	switch field {
	case "vendor", "type", "model", "id", "parent_id", "mig_profile":
		return field, true
	}
	if key, ok := strings.CutPrefix(field, "attr."); ok && key != "" {
		return field, true
	}
	return "", false
}

// match reports whether the instance in s satisfies the constraint. A
// missing attribute satisfies only "!=".
func (dc *deviceConstraint) match(s *slot) bool {
	l, ok := deviceValue(s, dc.field)
	if dc.c.Operand == api.ConstraintIsSet {
		return ok
	}
	if !ok {
		return dc.c.Operand == api.ConstraintNotEqual
	}
	r := dc.c.RTarget
	switch dc.c.Operand {
	case api.ConstraintEqual:
		return compareValues(l, r) == 0
	case api.ConstraintNotEqual:
		return compareValues(l, r) != 0
	case api.ConstraintLess:
		return compareValues(l, r) < 0
	case api.ConstraintLessEqual:
		return compareValues(l, r) <= 0
	case api.ConstraintGreater:
		return compareValues(l, r) > 0
	case api.ConstraintGreaterEqual:
		return compareValues(l, r) >= 0
	case api.ConstraintRegex:
		return dc.re.MatchString(l)
	case api.ConstraintVersion:
		v, err := parseVersion(l)
		return err == nil && matchVersion(dc.clause, v)
	}
	return false
}

// deviceValue looks up a field of the instance in s: instance attributes
// first, then the instance's own fields, then the group's attributes.
func deviceValue(s *slot, field string) (string, bool) {
	g, in := s.group, s.inst
	switch field {
	case "vendor":
		return g.Vendor, g.Vendor != ""
	case "type":
		return g.Type, g.Type != ""
	case "model":
		return g.Model, g.Model != ""
	case "id":
		return in.ID, true
	case "parent_id":
		return in.ParentID, in.ParentID != ""
	case "mig_profile":
		return migProfile(s)
	}
	key := strings.TrimPrefix(field, "attr.")
	if v, ok := in.Attributes[key]; ok {
		return v, true
	}
	switch {
	case key == attrMemoryMB && in.MemoryMB > 0:
		return strconv.Itoa(in.MemoryMB), true
	case key == attrMIGProfile && in.MIGProfile != "":
		return in.MIGProfile, true
	case key == attrPCIBusID && in.PCIBusID != "":
		return in.PCIBusID, true
	}
	v, ok := g.Attributes[key]
	return v, ok
}

// migProfile returns the MIG profile of the instance in s.
func migProfile(s *slot) (string, bool) {
	if s.inst.MIGProfile != "" {
		return s.inst.MIGProfile, true
	}
	p, ok := s.group.Attributes[attrMIGProfile]
	return p, ok && p != ""
}

// compareValues orders two attribute values: as numbers when both are
// numbers, as versions when both are versions, else as strings.
func compareValues(l, r string) int {
	l, r = strings.TrimSpace(l), strings.TrimSpace(r)
	lf, lerr := strconv.ParseFloat(l, 64)
	rf, rerr := strconv.ParseFloat(r, 64)
	if lerr == nil && rerr == nil {
		switch {
		case lf < rf:
			return -1
		case lf > rf:
			return 1
		}
		return 0
	}
	lv, lerr := parseVersion(l)
	rv, rerr := parseVersion(r)
	if lerr == nil && rerr == nil {
		return compareVersions(lv, rv)
	}
	return strings.Compare(l, r)
}
