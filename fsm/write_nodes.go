package fsm

import (
	"errors"
	"fmt"

	"github.com/constellation-sched/constellation/api"
)

// ErrNodeNotFound is returned by Apply as the response to a node status,
// drain, eligibility or deregister command for a node that is not stored.
var ErrNodeNotFound = errors.New("node not found")

// nodeRegister stores a node, new or re-registered. A known node keeps its
// CreateIndex, Drain and Eligibility; a new one starts eligible and, when
// it states no status, initializing.
func (tx *writeTxn) nodeRegister(req *NodeRegisterRequest) error {
	node := req.Node
	if node == nil || node.ID == "" {
		return fmt.Errorf("apply node register: %w: the node needs an ID", ErrMalformedCommand)
	}
	if node.Status == "" {
		node.Status = api.NodeStatusInit
	}
	if err := checkNodeStatus(node.Status); err != nil {
		return fmt.Errorf("apply node register: %w", err)
	}

	node.CreateIndex = tx.index
	node.Eligibility = api.NodeEligible
	node.Drain = false
	if existing := tx.nodeByID(node.ID); existing != nil {
		node.CreateIndex = existing.CreateIndex
		node.Eligibility = existing.Eligibility
		node.Drain = existing.Drain
	}
	node.ModifyIndex = tx.index
	if err := tx.insert(TableNodes, node); err != nil {
		return fmt.Errorf("apply node register: %w", err)
	}
	if err := tx.upsertEvals(req.Evals); err != nil {
		return fmt.Errorf("apply node register: %w", err)
	}
	return nil
}

// nodeStatusUpdate changes a node's status.
func (tx *writeTxn) nodeStatusUpdate(req *NodeStatusUpdateRequest) error {
	if err := checkNodeStatus(req.Status); err != nil {
		return fmt.Errorf("apply node status update: %w", err)
	}
	err := tx.updateNode(req.NodeID, req.Evals, func(node *api.Node) error {
		node.Status = req.Status
		node.StatusDescription = req.Description
		node.StatusUpdatedAt = req.UpdatedAt
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply node status update: %w", err)
	}
	return nil
}

// nodeDrain turns draining on, which makes the node ineligible, or off,
// which makes it eligible again.
func (tx *writeTxn) nodeDrain(req *NodeDrainRequest) error {
	err := tx.updateNode(req.NodeID, req.Evals, func(node *api.Node) error {
		node.Drain = req.Drain
		node.Eligibility = api.NodeEligible
		if req.Drain {
			node.Eligibility = api.NodeIneligible
		}
		node.StatusUpdatedAt = req.UpdatedAt
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply node drain: %w", err)
	}
	return nil
}

// nodeEligibility marks a node eligible or ineligible. A draining node
// cannot be made eligible: end the drain instead.
func (tx *writeTxn) nodeEligibility(req *NodeEligibilityRequest) error {
	switch req.Eligibility {
	case api.NodeEligible, api.NodeIneligible:
	default:
		return fmt.Errorf("apply node eligibility: %w: eligibility %q; use %q or %q",
			ErrMalformedCommand, req.Eligibility, api.NodeEligible, api.NodeIneligible)
	}
	err := tx.updateNode(req.NodeID, req.Evals, func(node *api.Node) error {
		if node.Drain && req.Eligibility == api.NodeEligible {
			return fmt.Errorf("node %q is draining; turn the drain off to make it eligible", node.ID)
		}
		node.Eligibility = req.Eligibility
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply node eligibility: %w", err)
	}
	return nil
}

// nodeDeregister deletes a node.
func (tx *writeTxn) nodeDeregister(req *NodeDeregisterRequest) error {
	node := tx.nodeByID(req.NodeID)
	if node == nil {
		return fmt.Errorf("apply node deregister: %w: %q", ErrNodeNotFound, req.NodeID)
	}
	if err := tx.remove(TableNodes, node); err != nil {
		return fmt.Errorf("apply node deregister: %w", err)
	}
	return nil
}

// updateNode stores a copy of a node changed by change, then evals.
func (tx *writeTxn) updateNode(id string, evals []*api.Evaluation,
	change func(*api.Node) error) error {
	existing := tx.nodeByID(id)
	if existing == nil {
		return fmt.Errorf("%w: %q", ErrNodeNotFound, id)
	}
	node := *existing
	if err := change(&node); err != nil {
		return err
	}
	node.ModifyIndex = tx.index
	if err := tx.insert(TableNodes, &node); err != nil {
		return err
	}
	return tx.upsertEvals(evals)
}

// checkNodeStatus refuses a status that is not one of the api.NodeStatus
// constants.
func checkNodeStatus(status string) error {
	switch status {
	case api.NodeStatusInit, api.NodeStatusReady, api.NodeStatusDown:
		return nil
	}
	return fmt.Errorf("%w: node status %q; use %q, %q or %q", ErrMalformedCommand,
		status, api.NodeStatusInit, api.NodeStatusReady, api.NodeStatusDown)
}
