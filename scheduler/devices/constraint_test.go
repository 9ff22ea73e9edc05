package devices

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func TestDeviceConstraint_Operands(t *testing.T) {
	g := gpuGroup(h100, 81559, 1, "GPU", "9.0")
	g.Attributes["driver_version"] = "550.54.15"
	g.Instances[0].Attributes = map[string]string{"mig_mode": "disabled"}
	s := &slot{group: g, inst: g.Instances[0]}

	cases := []struct {
		l, op, r string
		want     bool
	}{
		{"${device.attr.memory_mb}", ">=", "80000", true},
		{"${device.attr.memory_mb}", "<", "80000", false},
		{"${device.attr.memory_mb}", "=", "81559", true},
		{"${device.attr.compute_capability}", ">", "8.9", true},
		{"${device.attr.compute_capability}", "<=", "9.0", true},
		{"${device.attr.compute_capability}", "version", ">= 8.0, < 10.0", true},
		{"${device.attr.compute_capability}", "version", "~> 8.0", false},
		{"${device.attr.driver_version}", ">", "535.104.05", true},
		{"${device.attr.driver_version}", "version", ">= 550.54", true},
		{"${device.attr.mig_mode}", "=", "disabled", true},
		{"${device.attr.pci_bus_id}", "regexp", "^0000:00", true},
		{"${device.model}", "regexp", "H100", true},
		{"${device.model}", "!=", h100, false},
		{"${device.vendor}", "=", "nvidia", true},
		{"${device.type}", "=", "gpu", true},
		{"${device.id}", "=", "GPU-0", true},
		{"${device.mig_profile}", "is_set", "", false},
		{"${device.parent_id}", "!=", "GPU-9", true},
		{"${device.attr.nvlink}", "is_set", "", false},
		{"${device.attr.nvlink}", "=", "true", false},
		{"${device.attr.nvlink}", "!=", "true", true},
	}
	for _, tc := range cases {
		t.Run(tc.l+" "+tc.op+" "+tc.r, func(t *testing.T) {
			dc, err := compileConstraint(&api.Constraint{LTarget: tc.l, Operand: tc.op, RTarget: tc.r})
			require.NoError(t, err)
			assert.Equal(t, tc.want, dc.match(s))
		})
	}
}

func TestVersion_Compare(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"8.0", "8.0", 0},
		{"8", "8.0.0", 0},
		{"8.6", "8.9", -1},
		{"9.0", "8.9", 1},
		{"12.10", "12.9", 1},
		{"v550.54.15", "550.54.14", 1},
		{"1.2.3-beta", "1.2.3", 0},
	}
	for _, tc := range cases {
		t.Run(tc.a+" vs "+tc.b, func(t *testing.T) {
			a, err := parseVersion(tc.a)
			require.NoError(t, err)
			b, err := parseVersion(tc.b)
			require.NoError(t, err)
			assert.Equal(t, tc.want, compareVersions(a, b))
		})
	}
	for _, bad := range []string{"", "ampere", "8.x", "1.2.3.4.5", "-1"} {
		_, err := parseVersion(bad)
		assert.Error(t, err, bad)
	}
}

func TestVersion_PessimisticConstraint(t *testing.T) {
	cases := []struct {
		c, v string
		want bool
	}{
		{"~> 8.0", "8.9", true},
		{"~> 8.0", "9.0", false},
		{"~> 8.6.1", "8.6.9", true},
		{"~> 8.6.1", "8.7", false},
		{"~> 8", "8.9", true},
		{"~> 8", "9", false},
		{"!= 8.0", "8.0", false},
		{"8.0", "8.0", true},
	}
	for _, tc := range cases {
		t.Run(tc.c+" "+tc.v, func(t *testing.T) {
			cl, err := parseVersionConstraint(tc.c)
			require.NoError(t, err)
			v, err := parseVersion(tc.v)
			require.NoError(t, err)
			assert.Equal(t, tc.want, matchVersion(cl, v))
		})
	}
}
