package devices

import (
	"fmt"
	"strconv"
	"strings"
)

// version is a dotted version such as a CUDA compute capability ("8.0")
// or a driver version ("550.54.15"). Missing trailing parts count as 0.
type version []int

// parseVersion reads "8.0", "v12.4" or "550.54.15"; a pre-release or build
// suffix after "-" or "+" is ignored.
func parseVersion(s string) (version, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if s == "" || len(parts) > 4 {
		return nil, fmt.Errorf("%q is not a version: write it like \"8.0\"", s)
	}
	v := make(version, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a version: write it like \"8.0\"", s)
		}
		v[i] = n
	}
	return v, nil
}

// compareVersions returns -1, 0 or 1 as a is older than, equal to or newer
// than b.
func compareVersions(a, b version) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

// versionClause is one comparison of a version constraint such as
// ">= 8.0".
type versionClause struct {
	op string
	v  version
}

// versionOps are the comparison operators of a version constraint, longest
// first so that ">=" is not read as ">".
var versionOps = []string{">=", "<=", "!=", "~>", ">", "<", "="}

// parseVersionConstraint reads comma-separated clauses such as
// ">= 8.0, < 9.0"; a bare version means "=".
func parseVersionConstraint(s string) ([]versionClause, error) {
	var out []versionClause
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		op := "="
		for _, o := range versionOps {
			if rest, ok := strings.CutPrefix(part, o); ok {
				op, part = o, rest
				break
			}
		}
		v, err := parseVersion(part)
		if err != nil {
			return nil, fmt.Errorf("version constraint %q: %w", s, err)
		}
		out = append(out, versionClause{op: op, v: v})
	}
	return out, nil
}

// matchVersion reports whether v satisfies every clause. "~> 8.1" allows
// 8.1 up to but not including 9.0; "~> 8.1.2" allows up to 8.2.
func matchVersion(clauses []versionClause, v version) bool {
	for _, c := range clauses {
		cmp := compareVersions(v, c.v)
		ok := false
		switch c.op {
		case "=":
			ok = cmp == 0
		case "!=":
			ok = cmp != 0
		case ">":
			ok = cmp > 0
		case ">=":
			ok = cmp >= 0
		case "<":
			ok = cmp < 0
		case "<=":
			ok = cmp <= 0
		case "~>":
			ok = cmp >= 0 && compareVersions(v, pessimisticBound(c.v)) < 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// pessimisticBound returns the exclusive upper bound of "~> v": the
// next-to-last part raised by one.
func pessimisticBound(v version) version {
	if len(v) < 2 {
		return version{v[0] + 1}
	}
	b := append(version(nil), v[:len(v)-1]...)
	b[len(b)-1]++
	return b
}
