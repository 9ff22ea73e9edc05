package fsm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func TestSnapshot_ListsInIDOrder(t *testing.T) {
	h := newHarness(t)
	applyScenario(h)
	snap := h.snap()

	nodes, err := snap.Nodes()
	require.NoError(t, err)
	assert.Equal(t, []string{"n1", "n2"}, ids(nodes, func(n *api.Node) string { return n.ID }))
	jobs, err := snap.Jobs()
	require.NoError(t, err)
	assert.Equal(t, []string{"web"}, ids(jobs, func(j *api.Job) string { return j.ID }))
	allocs, err := snap.Allocs()
	require.NoError(t, err)
	assert.Equal(t, []string{"a1", "a2", "a3", "a4", "b1"}, ids(allocs, func(a *api.Allocation) string { return a.ID }))
	evals, err := snap.Evals()
	require.NoError(t, err)
	assert.Equal(t, []string{"e1", "e3", "e4", "e5", "e6"}, ids(evals, func(e *api.Evaluation) string { return e.ID }))
	assert.Equal(t, uint64(len(scenario())), snap.LatestIndex())
}

func TestSnapshot_IsPointInTime(t *testing.T) {
	h := newHarness(t)
	h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
	snap := h.snap()
	h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("api")})

	jobs, _ := snap.Jobs()
	assert.Len(t, jobs, 1)
	assert.Equal(t, uint64(1), snap.LatestIndex())
	jobs, _ = h.snap().Jobs()
	assert.Len(t, jobs, 2)
}

func TestSnapshot_ByPrefix(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"9f1c2a77-0000", "9f1c2b10-0000", "1234abcd-0000"} {
		h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode(id)})
	}
	job := testJob("web")
	h.mustApply(PlanApplyRequestType, &PlanApplyRequest{Job: job, Alloc: []*api.Allocation{
		testAlloc("c0ffee11-aaaa", "web", "1234abcd-0000", ""),
		testAlloc("c0ffee22-bbbb", "web", "1234abcd-0000", ""),
	}})
	snap := h.snap()

	tests := []struct {
		name    string
		lookup  func(string) (string, error)
		prefix  string
		want    string
		wantErr error
	}{
		{"node unique", nodeLookup(snap), "9f1c2a", "9f1c2a77-0000", nil},
		{"node full ID", nodeLookup(snap), "1234abcd-0000", "1234abcd-0000", nil},
		{"node ambiguous", nodeLookup(snap), "9f1c2", "", ErrAmbiguousPrefix},
		{"node none", nodeLookup(snap), "ffff", "", nil},
		{"alloc unique", allocLookup(snap), "c0ffee2", "c0ffee22-bbbb", nil},
		{"alloc ambiguous", allocLookup(snap), "c0ffee", "", ErrAmbiguousPrefix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.lookup(tt.prefix)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), tt.prefix)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	_, err := snap.AllocByPrefix("")
	require.Error(t, err)
}

// nodeLookup returns the ID NodeByPrefix finds, "" for none.
func nodeLookup(snap *Snapshot) func(string) (string, error) {
	return func(prefix string) (string, error) {
		node, err := snap.NodeByPrefix(prefix)
		if node == nil {
			return "", err
		}
		return node.ID, err
	}
}

// allocLookup returns the ID AllocByPrefix finds, "" for none.
func allocLookup(snap *Snapshot) func(string) (string, error) {
	return func(prefix string) (string, error) {
		alloc, err := snap.AllocByPrefix(prefix)
		if alloc == nil {
			return "", err
		}
		return alloc.ID, err
	}
}

// ids maps objects to their IDs.
func ids[T any](objs []*T, id func(*T) string) []string {
	out := make([]string, 0, len(objs))
	for _, obj := range objs {
		out = append(out, id(obj))
	}
	return out
}
