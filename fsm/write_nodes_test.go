package fsm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func TestFSM_NodeRegister(t *testing.T) {
	h := newHarness(t)
	node := testNode("n1")
	node.Status = ""
	created := h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: node})
	got := h.node("n1")
	assert.Equal(t, api.NodeStatusInit, got.Status)
	assert.Equal(t, api.NodeEligible, got.Eligibility)
	assert.Equal(t, created, got.CreateIndex)

	// An operator drains it; the client then re-registers with an
	// unhealthy GPU and without knowing about the drain.
	h.mustApply(NodeDrainRequestType, &NodeDrainRequest{NodeID: "n1", Drain: true})
	again := testNode("n1")
	again.Resources.Devices[0].Instances[0].Healthy = false
	again.Resources.Devices[0].Instances[0].HealthDescription = "XID 79"
	updated := h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{
		Node:  again,
		Evals: []*api.Evaluation{{ID: "e1", JobID: "web", TriggeredBy: api.EvalTriggerDeviceHealth}},
	})

	got = h.node("n1")
	assert.Equal(t, created, got.CreateIndex)
	assert.Equal(t, updated, got.ModifyIndex)
	assert.True(t, got.Drain, "a re-register keeps the drain")
	assert.Equal(t, api.NodeIneligible, got.Eligibility)
	assert.False(t, got.Resources.Devices[0].Instances[0].Healthy)
	assert.Equal(t, api.NodeStatusReady, got.Status)
	eval, _ := h.snap().EvalByID("e1")
	assert.NotNil(t, eval)
}

func TestFSM_NodeRegisterRefusesBadNode(t *testing.T) {
	h := newHarness(t)
	require.ErrorIs(t, h.apply(NodeRegisterRequestType, &NodeRegisterRequest{}), ErrMalformedCommand)
	node := testNode("n1")
	node.Status = "sleepy"
	err := h.apply(NodeRegisterRequestType, &NodeRegisterRequest{Node: node})
	require.ErrorIs(t, err, ErrMalformedCommand)
	assert.Contains(t, err.Error(), "sleepy")
}

func TestFSM_NodeUpdates(t *testing.T) {
	tests := []struct {
		name  string
		mt    MessageType
		req   any
		check func(t *testing.T, node *api.Node)
	}{
		{"status down", NodeStatusUpdateRequestType,
			&NodeStatusUpdateRequest{NodeID: "n1", Status: api.NodeStatusDown, Description: "missed heartbeat", UpdatedAt: 5},
			func(t *testing.T, n *api.Node) {
				assert.Equal(t, api.NodeStatusDown, n.Status)
				assert.Equal(t, "missed heartbeat", n.StatusDescription)
				assert.Equal(t, int64(5), n.StatusUpdatedAt)
			}},
		{"drain on", NodeDrainRequestType, &NodeDrainRequest{NodeID: "n1", Drain: true, UpdatedAt: 6},
			func(t *testing.T, n *api.Node) {
				assert.True(t, n.Drain)
				assert.Equal(t, api.NodeIneligible, n.Eligibility)
				assert.Equal(t, int64(6), n.StatusUpdatedAt)
			}},
		{"drain off", NodeDrainRequestType, &NodeDrainRequest{NodeID: "n1", Drain: false},
			func(t *testing.T, n *api.Node) {
				assert.False(t, n.Drain)
				assert.Equal(t, api.NodeEligible, n.Eligibility)
			}},
		{"ineligible", NodeEligibilityRequestType, &NodeEligibilityRequest{NodeID: "n1", Eligibility: api.NodeIneligible},
			func(t *testing.T, n *api.Node) { assert.Equal(t, api.NodeIneligible, n.Eligibility) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			created := h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n1")})
			idx := h.mustApply(tt.mt, tt.req)
			node := h.node("n1")
			tt.check(t, node)
			assert.Equal(t, created, node.CreateIndex)
			assert.Equal(t, idx, node.ModifyIndex)
			assert.Equal(t, "node-n1", node.Name, "other fields are kept")
		})
	}
}

func TestFSM_NodeUpdateErrors(t *testing.T) {
	tests := []struct {
		name string
		mt   MessageType
		req  any
		want error
	}{
		{"status of unknown node", NodeStatusUpdateRequestType,
			&NodeStatusUpdateRequest{NodeID: "x", Status: api.NodeStatusDown}, ErrNodeNotFound},
		{"bad status", NodeStatusUpdateRequestType,
			&NodeStatusUpdateRequest{NodeID: "n1", Status: "gone"}, ErrMalformedCommand},
		{"drain unknown node", NodeDrainRequestType, &NodeDrainRequest{NodeID: "x", Drain: true}, ErrNodeNotFound},
		{"bad eligibility", NodeEligibilityRequestType,
			&NodeEligibilityRequest{NodeID: "n1", Eligibility: "maybe"}, ErrMalformedCommand},
		{"deregister unknown node", NodeDeregisterRequestType, &NodeDeregisterRequest{NodeID: "x"}, ErrNodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n1")})
			before := h.snap().LatestIndex()
			require.ErrorIs(t, h.apply(tt.mt, tt.req), tt.want)
			assert.Equal(t, before, h.snap().LatestIndex())
		})
	}
}

func TestFSM_NodeEligibleWhileDrainingIsRefused(t *testing.T) {
	h := newHarness(t)
	h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n1")})
	h.mustApply(NodeDrainRequestType, &NodeDrainRequest{NodeID: "n1", Drain: true})
	err := h.apply(NodeEligibilityRequestType, &NodeEligibilityRequest{NodeID: "n1", Eligibility: api.NodeEligible})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "drain")
	assert.Equal(t, api.NodeIneligible, h.node("n1").Eligibility)
}

func TestFSM_NodeDeregister(t *testing.T) {
	h, _ := placedHarness(t)
	idx := h.mustApply(NodeDeregisterRequestType, &NodeDeregisterRequest{NodeID: "n1"})
	node, _ := h.snap().NodeByID("n1")
	assert.Nil(t, node)
	nodes, _ := h.snap().Nodes()
	require.Len(t, nodes, 1)
	assert.Equal(t, idx, h.snap().TableIndex(TableNodes))
	allocs, _ := h.snap().AllocsByNode("n1")
	assert.Len(t, allocs, 1, "allocations stay until the scheduler stops them")
}
