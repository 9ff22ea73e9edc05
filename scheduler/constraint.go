package scheduler

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	version "github.com/hashicorp/go-version"

	"github.com/constellation-sched/constellation/api"
)

// ErrInvalidConstraint is returned (wrapped) by ValidateConstraint, and
// recorded as the failure of an evaluation, when a constraint has an
// unknown operand, an unknown target or an operand that does not parse.
var ErrInvalidConstraint = errors.New("invalid constraint")

// knownOperands lists the operands a constraint may use, in the order the
// error message gives them.
var knownOperands = []string{
	api.ConstraintEqual, api.ConstraintNotEqual, api.ConstraintRegex,
	api.ConstraintVersion, api.ConstraintLess, api.ConstraintLessEqual,
	api.ConstraintGreater, api.ConstraintGreaterEqual, api.ConstraintIsSet,
	api.ConstraintDistinctHosts,
}

// constraintChecker evaluates constraints against nodes, keeping the
// regular expressions and version constraints it compiled.
type constraintChecker struct {
	regexps  map[string]*regexp.Regexp
	versions map[string]version.Constraints
}

// newConstraintChecker returns an empty checker.
func newConstraintChecker() *constraintChecker {
	return &constraintChecker{
		regexps:  map[string]*regexp.Regexp{},
		versions: map[string]version.Constraints{},
	}
}

// ValidateConstraint returns an error wrapping ErrInvalidConstraint that
// says what to change when con cannot be evaluated.
func ValidateConstraint(con *api.Constraint) error {
	return newConstraintChecker().compile(con)
}

// compile checks a constraint and caches what its operand needs.
func (c *constraintChecker) compile(con *api.Constraint) error {
	if con == nil {
		return fmt.Errorf("%w: constraint is empty", ErrInvalidConstraint)
	}
	known := false
	for _, op := range knownOperands {
		known = known || con.Operand == op
	}
	if !known {
		return fmt.Errorf("%w %q: unknown operand %q; use one of %s",
			ErrInvalidConstraint, constraintKey(con), con.Operand,
			strings.Join(knownOperands, ", "))
	}
	if con.Operand == api.ConstraintDistinctHosts {
		return nil
	}
	if err := checkTarget(con.LTarget); err != nil {
		return fmt.Errorf("%w %q: %w", ErrInvalidConstraint, constraintKey(con), err)
	}
	switch con.Operand {
	case api.ConstraintRegex:
		if _, ok := c.regexps[con.RTarget]; ok {
			return nil
		}
		re, err := regexp.Compile(con.RTarget)
		if err != nil {
			return fmt.Errorf("%w %q: bad regular expression: %w",
				ErrInvalidConstraint, constraintKey(con), err)
		}
		c.regexps[con.RTarget] = re
	case api.ConstraintVersion:
		if _, ok := c.versions[con.RTarget]; ok {
			return nil
		}
		vc, err := version.NewConstraint(con.RTarget)
		if err != nil {
			return fmt.Errorf("%w %q: bad version constraint, want e.g. \">= 1.2, < 2.0\": %w",
				ErrInvalidConstraint, constraintKey(con), err)
		}
		c.versions[con.RTarget] = vc
	}
	return nil
}

// check reports whether node satisfies con. distinct_hosts is not checked
// here: it depends on the plan, not on the node alone. The constraint must
// have been compiled.
func (c *constraintChecker) check(node *api.Node, con *api.Constraint) bool {
	if con.Operand == api.ConstraintDistinctHosts {
		return true
	}
	lval, lok := resolveTarget(node, con.LTarget)
	rval, rok := resolveTarget(node, con.RTarget)
	switch con.Operand {
	case api.ConstraintIsSet:
		return lok
	case api.ConstraintNotEqual:
		return !lok || !rok || lval != rval
	}
	if !lok || !rok {
		return false
	}
	switch con.Operand {
	case api.ConstraintEqual:
		return lval == rval
	case api.ConstraintRegex:
		re := c.regexps[con.RTarget]
		return re != nil && re.MatchString(lval)
	case api.ConstraintVersion:
		v, err := version.NewVersion(lval)
		vc, ok := c.versions[con.RTarget]
		return err == nil && ok && vc.Check(v)
	case api.ConstraintLess, api.ConstraintLessEqual,
		api.ConstraintGreater, api.ConstraintGreaterEqual:
		return checkOrder(con.Operand, lval, rval)
	}
	return false
}

// distinctHosts reports whether the constraint asks for distinct hosts.
func distinctHosts(con *api.Constraint) bool {
	if con.Operand != api.ConstraintDistinctHosts {
		return false
	}
	enabled, err := strconv.ParseBool(con.RTarget)
	return err != nil || enabled
}

// checkTarget returns an error when target is an interpolation the
// scheduler does not know.
func checkTarget(target string) error {
	if !strings.HasPrefix(target, "${") {
		return nil
	}
	switch inner := strings.TrimSuffix(strings.TrimPrefix(target, "${"), "}"); {
	case !strings.HasSuffix(target, "}"):
		return fmt.Errorf("target %q lacks a closing brace", target)
	case inner == "node.datacenter", inner == "node.name", inner == "node.id":
		return nil
	case strings.HasPrefix(inner, "attr.") && len(inner) > len("attr."):
		return nil
	case strings.HasPrefix(inner, "meta.") && len(inner) > len("meta."):
		return nil
	}
	return fmt.Errorf("unknown target %q; use ${attr.NAME}, ${meta.NAME}, "+
		"${node.datacenter}, ${node.name} or ${node.id}", target)
}

// resolveTarget returns the value a constraint target names on node, and
// whether it is set. A target that is not an interpolation is a literal.
func resolveTarget(node *api.Node, target string) (string, bool) {
	if !strings.HasPrefix(target, "${") || !strings.HasSuffix(target, "}") {
		return target, true
	}
	inner := target[2 : len(target)-1]
	switch {
	case inner == "node.datacenter":
		return node.Datacenter, true
	case inner == "node.name":
		return node.Name, true
	case inner == "node.id":
		return node.ID, true
	case strings.HasPrefix(inner, "attr."):
		v, ok := node.Attributes[inner[len("attr."):]]
		return v, ok
	case strings.HasPrefix(inner, "meta."):
		v, ok := node.Meta[inner[len("meta."):]]
		return v, ok
	}
	return "", false
}

// checkOrder compares two values with an ordering operand: as integers when
// both parse as integers, as floats when both parse as numbers, else as
// strings.
func checkOrder(op, lval, rval string) bool {
	var c int
	li, lerr := strconv.ParseInt(lval, 10, 64)
	ri, rerr := strconv.ParseInt(rval, 10, 64)
	lf, lferr := strconv.ParseFloat(lval, 64)
	rf, rferr := strconv.ParseFloat(rval, 64)
	switch {
	case lerr == nil && rerr == nil:
		c = cmp.Compare(li, ri)
	case lferr == nil && rferr == nil:
		c = cmp.Compare(lf, rf)
	default:
		c = strings.Compare(lval, rval)
	}
	switch op {
	case api.ConstraintLess:
		return c < 0
	case api.ConstraintLessEqual:
		return c <= 0
	case api.ConstraintGreater:
		return c > 0
	case api.ConstraintGreaterEqual:
		return c >= 0
	}
	return false
}

// constraintKey is how a constraint is named in filter metrics and errors.
func constraintKey(con *api.Constraint) string {
	if con.Operand == api.ConstraintDistinctHosts {
		return api.ConstraintDistinctHosts
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", con.LTarget, con.Operand, con.RTarget))
}
