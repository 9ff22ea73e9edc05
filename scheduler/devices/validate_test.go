package devices

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/constellation-sched/constellation/api"
)

func TestValidateRequest_Messages(t *testing.T) {
	cases := []struct {
		name   string
		req    *api.DeviceRequest
		errHas []string
	}{
		{name: "plain gpu", req: &api.DeviceRequest{Name: "gpu", Count: 1}},
		{name: "full form", req: &api.DeviceRequest{Name: "nvidia/gpu/NVIDIA H100 80GB HBM3", Count: 8, MinMemoryMB: 80000,
			MinComputeCapability: "9.0", Vendor: "^nvidia$", Model: "H100|A100"}},
		{name: "mps", req: &api.DeviceRequest{Name: "nvidia/gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: 100, MPSMemoryMB: 8192}},
		{name: "mig", req: &api.DeviceRequest{Name: "nvidia/gpu", Count: 2, MIGProfile: "1g.10gb", Sharing: api.SharingTimeslice}},
		{name: "mig with media extensions", req: &api.DeviceRequest{Name: "gpu", Count: 1, MIGProfile: "1g.10gb+me"}},
		{name: "constraints and affinities", req: &api.DeviceRequest{Name: "gpu", Count: 1,
			Constraints: []*api.Constraint{{LTarget: "${device.attr.memory_mb}", Operand: ">=", RTarget: "40000"}},
			Affinities:  []*api.Affinity{{LTarget: "${device.model}", Operand: "regexp", RTarget: "H100", Weight: -20}}}},
		{name: "missing", req: nil, errHas: []string{"device request is missing"}},
		{name: "count", req: &api.DeviceRequest{Name: "gpu"},
			errHas: []string{"count 0 is out of range: ask for at least 1 device"}},
		{name: "empty name", req: &api.DeviceRequest{Count: 1},
			errHas: []string{`name "" is not a device name: use "gpu", "nvidia/gpu" or "nvidia/gpu/<model>"`}},
		{name: "empty name part", req: &api.DeviceRequest{Name: "nvidia//a100", Count: 1}, errHas: []string{"is not a device name"}},
		{name: "unknown sharing", req: &api.DeviceRequest{Name: "gpu", Count: 1, Sharing: "vgpu"},
			errHas: []string{`sharing "vgpu" is not known: use "exclusive", "mps" or "timeslice"`}},
		{name: "mps percent zero", req: &api.DeviceRequest{Name: "gpu", Count: 1, Sharing: api.SharingMPS},
			errHas: []string{"mps compute percent 0 is out of range: use 1 to 100"}},
		{name: "mps percent too high", req: &api.DeviceRequest{Name: "gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: 101},
			errHas: []string{"mps compute percent 101 is out of range"}},
		{name: "mps fields without mps", req: &api.DeviceRequest{Name: "gpu", Count: 1, MPSComputePercent: 20},
			errHas: []string{`sharing is "exclusive": set sharing to "mps" or remove them`}},
		{name: "negative memory", req: &api.DeviceRequest{Name: "gpu", Count: 1, MinMemoryMB: -1},
			errHas: []string{"min memory -1 MB is negative"}},
		{name: "negative mps memory", req: &api.DeviceRequest{Name: "gpu", Count: 1, Sharing: api.SharingMPS, MPSComputePercent: 5, MPSMemoryMB: -5},
			errHas: []string{"mps memory -5 MB is negative"}},
		{name: "mig profile form", req: &api.DeviceRequest{Name: "gpu", Count: 1, MIGProfile: "10GB"},
			errHas: []string{`mig profile "10GB" is not a MIG profile: write it like "1g.10gb"`}},
		{name: "mig profile on another type", req: &api.DeviceRequest{Name: "fpga", Count: 1, MIGProfile: "1g.10gb"},
			errHas: []string{`name the device "gpu" or "nvidia/gpu", not "fpga"`}},
		{name: "vendor pattern", req: &api.DeviceRequest{Name: "gpu", Count: 1, Vendor: "nvid(ia"},
			errHas: []string{`vendor pattern "nvid(ia" does not compile: fix the regular expression`}},
		{name: "model pattern", req: &api.DeviceRequest{Name: "gpu", Count: 1, Model: "[A100"},
			errHas: []string{`model pattern "[A100" does not compile`}},
		{name: "compute capability", req: &api.DeviceRequest{Name: "gpu", Count: 1, MinComputeCapability: "ampere"},
			errHas: []string{`min compute capability: "ampere" is not a version: write it like "8.0"`}},
		{name: "constraint target", req: &api.DeviceRequest{Name: "gpu", Count: 1,
			Constraints: []*api.Constraint{{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux"}}},
			errHas: []string{`constraint target "${attr.kernel.name}" is not a device attribute: use "${device.attr.<key>}"`}},
		{name: "constraint operator", req: &api.DeviceRequest{Name: "gpu", Count: 1,
			Constraints: []*api.Constraint{{LTarget: "${device.model}", Operand: "~", RTarget: "x"}}},
			errHas: []string{`constraint operator "~" is not known`}},
		{name: "distinct hosts", req: &api.DeviceRequest{Name: "gpu", Count: 1,
			Constraints: []*api.Constraint{{LTarget: "${device.id}", Operand: "distinct_hosts"}}},
			errHas: []string{`operator "distinct_hosts" does not apply to devices: use it on the task group`}},
		{name: "affinity weight", req: &api.DeviceRequest{Name: "gpu", Count: 1,
			Affinities: []*api.Affinity{{LTarget: "${device.model}", Operand: "=", RTarget: "x", Weight: 150}}},
			errHas: []string{"has weight 150: use -100 to 100, not 0"}},
		{name: "every problem at once", req: &api.DeviceRequest{Name: "gpu", Count: 0, Sharing: "both"},
			errHas: []string{"count 0", `sharing "both"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateRequest(tc.req)
			if tc.errHas == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrInvalidRequest)
			for _, s := range tc.errHas {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}
