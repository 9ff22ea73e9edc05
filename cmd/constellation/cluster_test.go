package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/constellation-sched/constellation/api"
)

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func TestFormatNodeList(t *testing.T) {
	var buf bytes.Buffer
	formatNodeList(&buf, []*api.NodeListStub{
		{ID: "zzzz1111-2222", Name: "worker-2", Datacenter: "dc1", Status: "ready", Eligibility: "eligible"},
		{ID: "aaaa1111-2222", Name: "worker-1", Datacenter: "dc2", Status: "down", Drain: true,
			Eligibility: "ineligible"},
	})
	out := buf.String()
	assert.Equal(t, []string{"aaaa1111", "worker-1", "dc2", "true", "ineligible", "down"},
		rowFields(t, out, "aaaa1111"))
	assert.Less(t, strings.Index(out, "worker-1"), strings.Index(out, "worker-2"))
	assertAligned(t, out, "Eligibility")
}

func TestFormatNodeStatus(t *testing.T) {
	node := &api.Node{ID: "node-1", Name: "gpu-box", Datacenter: "dc1", Status: "ready",
		Eligibility: "eligible", HTTPAddr: "10.0.0.5:7480", Drivers: []string{"exec", "wasm"},
		Attributes: map[string]string{"kernel.name": "linux", "cpu.arch": "amd64"},
		Resources: &api.NodeResources{CPU: 32000, MemoryMB: 65536, DevicesMocked: true,
			Devices: []*api.DeviceGroup{{Vendor: "nvidia", Type: "gpu", Model: "A100",
				Instances: []*api.DeviceInstance{
					{ID: "GPU-a", MemoryMB: 40960, Healthy: true},
					{ID: "MIG-b", ParentID: "GPU-a", MIGProfile: "1g.5gb", MemoryMB: 4864,
						HealthDescription: "XID 79", Healthy: false},
				}}}}}
	allocs := []*api.Allocation{{ID: "alloc-0001", NodeID: "node-1", TaskGroup: "g",
		DesiredStatus: "run", ClientStatus: "running"}}
	var buf bytes.Buffer
	formatNodeStatus(&buf, node, allocs, testNow)
	out := buf.String()
	for _, want := range []string{"Drivers            = exec, wasm", "CPU 32000 MHz, Memory 65536 MiB",
		"(devices are simulated)", "false (XID 79)"} {
		assert.Contains(t, out, want)
	}
	assert.Equal(t, []string{"nvidia/gpu/A100", "MIG-b", "GPU-a", "1g.5gb", "4864", "false", "(XID", "79)"},
		rowFields(t, out, "nvidia/gpu/A100  MIG-b"))
	assert.Less(t, strings.Index(out, "cpu.arch"), strings.Index(out, "kernel.name"))
	assert.Equal(t, "alloc-00", rowFields(t, out, "alloc-00")[0])
}

func TestFormatMembers(t *testing.T) {
	members := []*api.Member{
		{Name: "s2", Addr: "10.0.0.2", Port: 7482, Role: "server", Status: "alive", Tags: map[string]string{"dc": "dc1"}},
		{Name: "client-7", Addr: "10.0.0.9", Port: 7482, Role: "client", Status: "alive"},
		{Name: "s1", Addr: "10.0.0.1", Port: 7482, Role: "server", Status: "failed", RaftAddr: "10.0.0.1:7481"},
	}
	var buf bytes.Buffer
	formatMembers(&buf, members, false)
	out := buf.String()
	assert.NotContains(t, out, "client-7")
	assert.Equal(t, []string{"s1", "10.0.0.1", "7482", "failed", "server", "-", "-", "10.0.0.1:7481"},
		rowFields(t, out, "s1"))
	assert.Less(t, strings.Index(out, "s1"), strings.Index(out, "s2"))

	buf.Reset()
	formatMembers(&buf, members, true)
	assert.Contains(t, buf.String(), "client-7")
}

func TestFormatRaftPeers(t *testing.T) {
	var buf bytes.Buffer
	formatRaftPeers(&buf, &api.RaftConfiguration{Servers: []*api.RaftServer{
		{ID: "s1", Address: "10.0.0.1:7481", Suffrage: "Voter", Leader: true},
		{ID: "s2", Address: "10.0.0.2:7481", Suffrage: "Nonvoter"},
	}})
	out := buf.String()
	assert.Equal(t, []string{"s1", "10.0.0.1:7481", "leader", "true"}, rowFields(t, out, "s1"))
	assert.Equal(t, []string{"s2", "10.0.0.2:7481", "follower", "false"}, rowFields(t, out, "s2"))
}

func TestFormatStatus(t *testing.T) {
	var buf bytes.Buffer
	formatStatus(&buf, "http://127.0.0.1:7480", "10.0.0.2:7481", []string{"10.0.0.1:7481", "10.0.0.2:7481"})
	out := buf.String()
	assert.Contains(t, out, "Leader = 10.0.0.2:7481")
	assert.Equal(t, []string{"10.0.0.2:7481", "leader"}, rowFields(t, out, "  10.0.0.2"))
	assert.Equal(t, []string{"10.0.0.1:7481", "follower"}, rowFields(t, out, "  10.0.0.1"))

	buf.Reset()
	formatStatus(&buf, "x", "", nil)
	assert.Contains(t, buf.String(), "(no leader)")
}

func TestFormatGPUs(t *testing.T) {
	gpus := []*api.GPUStatus{
		{NodeName: "n1", ID: "MIG-2", ParentID: "GPU-0", MIGProfile: "3g.40gb", MemoryMB: 40000, Healthy: true,
			Model: "A100", Allocations: []*api.GPUUse{{AllocID: "alloc-777777", JobID: "infer", Task: "serve"}}},
		{NodeName: "n1", ID: "GPU-0", Model: "A100", MemoryMB: 81920, Healthy: true},
		{NodeName: "n0", ID: "GPU-9", Model: "H200", MemoryMB: 141000, Healthy: true, Mocked: true,
			Allocations: []*api.GPUUse{
				{AllocID: "alloc-111111", JobID: "train", Task: "fit", Sharing: "mps", MPSComputePercent: 50},
				{AllocID: "alloc-222222", JobID: "eval", Task: "run", Sharing: "mps", MPSComputePercent: 25},
			}},
	}
	var buf bytes.Buffer
	formatGPUs(&buf, gpus)
	out := buf.String()
	lines := strings.Split(out, "\n")
	assert.True(t, strings.HasPrefix(lines[1], "n0"), "sorted by node")
	assert.Contains(t, lines[1], "alloc-11 train/fit (mps 50%), alloc-22 eval/run (mps 25%)")
	assert.Contains(t, lines[2], "GPU-0")
	assert.Contains(t, lines[3], "  MIG-2", "MIG instance indented under its GPU")
	assert.Contains(t, lines[3], "alloc-77 infer/serve")
	assert.Contains(t, out, "(some devices are simulated)")
	assertAligned(t, out, "Used By")
}
