package fsm

import (
	"bytes"
	"io"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncode_RefusesMismatchedRequest(t *testing.T) {
	tests := []struct {
		name string
		mt   MessageType
		req  any
	}{
		{"wrong request type", JobRegisterRequestType, &NodeRegisterRequest{}},
		{"nil", NodeDeregisterRequestType, nil},
		{"nil pointer", NodeDeregisterRequestType, (*NodeDeregisterRequest)(nil)},
		{"unknown type", MessageType(200), &NodeDeregisterRequest{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(tt.mt, tt.req)
			require.Error(t, err)
		})
	}

	// Values and pointers both encode, to the same bytes.
	a, err := Encode(NodeDeregisterRequestType, NodeDeregisterRequest{NodeID: "n1"})
	require.NoError(t, err)
	b, err := Encode(NodeDeregisterRequestType, &NodeDeregisterRequest{NodeID: "n1"})
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, byte(NodeDeregisterRequestType), a[0])
}

func TestMessageType_String(t *testing.T) {
	assert.Equal(t, "PlanApplyRequest", PlanApplyRequestType.String())
	assert.Equal(t, "MessageType(99)", MessageType(99).String())
}

func TestFSM_ApplyRefusesBadCommands(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrMalformedCommand},
		{"unknown type", []byte{0, 0x80}, ErrUnknownMessageType},
		{"high unknown type", []byte{250}, ErrUnknownMessageType},
		{"garbage body", []byte{byte(JobRegisterRequestType), 0xc1, 0xff}, ErrMalformedCommand},
		{"truncated body", []byte{byte(NodeRegisterRequestType), 0x82}, ErrMalformedCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(nil)
			resp := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: tt.data})
			err, ok := resp.(error)
			require.True(t, ok, "Apply returned %v, want an error", resp)
			require.ErrorIs(t, err, tt.want)
			assert.Equal(t, uint64(0), f.State().Snapshot().LatestIndex())
		})
	}
}

func TestFSM_SnapshotRestoreThroughFileStore(t *testing.T) {
	h := newHarness(t)
	applyScenario(h)
	original := persist(t, h.fsm)

	// Persist through a real file snapshot store, as Raft does.
	store, err := raft.NewFileSnapshotStore(t.TempDir(), 2, io.Discard)
	require.NoError(t, err)
	snap, err := h.fsm.Snapshot()
	require.NoError(t, err)
	sink, err := store.Create(raft.SnapshotVersionMax, h.index, 3, raft.Configuration{}, 1, nil)
	require.NoError(t, err)
	require.NoError(t, snap.Persist(sink))
	snap.Release()

	// Writes after the capture are not in the snapshot.
	h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("late")})

	metas, err := store.List()
	require.NoError(t, err)
	require.Len(t, metas, 1)
	_, rc, err := store.Open(metas[0].ID)
	require.NoError(t, err)
	restored := New(nil)
	require.NoError(t, restored.Restore(rc))

	assertSameState(t, applyScenarioTo(t), restored)
	assert.Equal(t, original, persist(t, restored), "a restored FSM snapshots to the same bytes")
	late, _ := restored.State().Snapshot().JobByID("late")
	assert.Nil(t, late)
}

func TestFSM_RestoreReplacesState(t *testing.T) {
	h := newHarness(t)
	applyScenario(h)
	data := persist(t, h.fsm)

	other := newHarness(t)
	other.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("gone")})
	other.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("gone")})
	store := other.fsm.State()
	require.NoError(t, other.fsm.Restore(io.NopCloser(bytes.NewReader(data))))

	assert.Same(t, store, other.fsm.State(), "the store stays the same object")
	assertSameState(t, h.fsm, other.fsm)
	job, _ := other.snap().JobByID("gone")
	assert.Nil(t, job)
}

func TestFSM_RestoreRefusesBadSnapshots(t *testing.T) {
	h := newHarness(t)
	applyScenario(h)
	good := persist(t, h.fsm)
	future := append([]byte{}, good...)
	future[len("\x81\xa7Version")] = 2 // the header's version field

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "header"},
		{"truncated", good[:len(good)/2], ""},
		{"no end record", good[:len(good)-1], "truncated"},
		{"newer format", future, "format 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHarness(t)
			f.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("kept")})
			err := f.fsm.Restore(io.NopCloser(bytes.NewReader(tt.data)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			f.job("kept") // a failed restore leaves the state as it was
		})
	}
}

func TestFSM_Deterministic(t *testing.T) {
	// Map iteration order is random per run, so repeating the log several
	// times would show any order that leaks into the snapshot.
	want := persist(t, applyScenarioTo(t))
	for range 5 {
		assert.Equal(t, want, persist(t, applyScenarioTo(t)))
	}
}

// applyScenarioTo returns a fresh FSM with the scenario applied.
func applyScenarioTo(t *testing.T) *FSM {
	h := newHarness(t)
	applyScenario(h)
	return h.fsm
}

// assertSameState checks that two FSMs hold equal objects in every table
// and equal table indexes.
func assertSameState(t *testing.T, want, got *FSM) {
	t.Helper()
	ws, gs := want.State().Snapshot(), got.State().Snapshot()
	for _, table := range dataTables {
		assert.Equal(t, ws.TableIndex(table), gs.TableIndex(table), "index of %s", table)
	}
	assert.Equal(t, ws.LatestIndex(), gs.LatestIndex())

	wNodes, _ := ws.Nodes()
	gNodes, _ := gs.Nodes()
	assert.Equal(t, wNodes, gNodes)
	wEvals, _ := ws.Evals()
	gEvals, _ := gs.Evals()
	assert.Equal(t, wEvals, gEvals)
	wAllocs, _ := ws.Allocs()
	gAllocs, _ := gs.Allocs()
	assert.Equal(t, wAllocs, gAllocs)
	wJobs, _ := ws.Jobs()
	gJobs, _ := gs.Jobs()
	assert.Equal(t, wJobs, gJobs)
	for _, job := range wJobs {
		wv, _ := ws.JobVersions(job.ID)
		gv, _ := gs.JobVersions(job.ID)
		assert.Equal(t, wv, gv, "versions of %s", job.ID)
	}
	assert.NotEmpty(t, wAllocs, "the compared state is not empty")
}

// FuzzFSM_Apply feeds arbitrary bytes to Apply, which must answer with nil
// or an error and never panic. The corpus starts from valid commands.
func FuzzFSM_Apply(f *testing.F) {
	for _, cmd := range scenario() {
		data, err := Encode(cmd.mt, cmd.req)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte{})
	f.Add([]byte{byte(PlanApplyRequestType), 0xdd, 0xff, 0xff, 0xff, 0xff})

	f.Fuzz(func(t *testing.T, data []byte) {
		h := newHarness(t)
		applyScenario(h)
		resp := h.fsm.Apply(&raft.Log{Index: h.index + 1, Type: raft.LogCommand, Data: data})
		if resp != nil {
			_, ok := resp.(error)
			require.True(t, ok, "Apply returned %T", resp)
		}
		// Whatever was applied must still snapshot and restore.
		restored := New(nil)
		require.NoError(t, restored.Restore(io.NopCloser(bytes.NewReader(persist(t, h.fsm)))))
	})
}
