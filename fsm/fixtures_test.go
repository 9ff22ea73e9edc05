package fsm

import (
	"bytes"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// harness applies commands to an FSM at increasing Raft indexes.
type harness struct {
	t     testing.TB
	fsm   *FSM
	index uint64
}

// newHarness returns a harness over a fresh FSM.
func newHarness(t testing.TB) *harness {
	return &harness{t: t, fsm: New(nil)}
}

// apply encodes and applies one command at the next index and returns the
// FSM's response as an error.
func (h *harness) apply(mt MessageType, req any) error {
	h.t.Helper()
	data, err := Encode(mt, req)
	require.NoError(h.t, err)
	h.index++
	resp := h.fsm.Apply(&raft.Log{Index: h.index, Type: raft.LogCommand, Data: data})
	if resp == nil {
		return nil
	}
	err, ok := resp.(error)
	require.True(h.t, ok, "Apply returned %T, want nil or error", resp)
	return err
}

// mustApply applies a command that must succeed and returns its index.
func (h *harness) mustApply(mt MessageType, req any) uint64 {
	h.t.Helper()
	require.NoError(h.t, h.apply(mt, req))
	return h.index
}

// snap returns a snapshot of the harness's state.
func (h *harness) snap() *Snapshot {
	return h.fsm.State().Snapshot()
}

// job returns the stored job, which must exist.
func (h *harness) job(id string) *api.Job {
	h.t.Helper()
	job, err := h.snap().JobByID(id)
	require.NoError(h.t, err)
	require.NotNil(h.t, job, "job %q", id)
	return job
}

// alloc returns the stored allocation, which must exist.
func (h *harness) alloc(id string) *api.Allocation {
	h.t.Helper()
	alloc, err := h.snap().AllocByID(id)
	require.NoError(h.t, err)
	require.NotNil(h.t, alloc, "alloc %q", id)
	return alloc
}

// node returns the stored node, which must exist.
func (h *harness) node(id string) *api.Node {
	h.t.Helper()
	node, err := h.snap().NodeByID(id)
	require.NoError(h.t, err)
	require.NotNil(h.t, node, "node %q", id)
	return node
}

// persist writes the FSM's snapshot to bytes through Persist.
func persist(t testing.TB, f *FSM) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	require.NoError(t, err)
	sink := &bufferSink{}
	require.NoError(t, snap.Persist(sink))
	snap.Release()
	require.True(t, sink.closed)
	return sink.Bytes()
}

// bufferSink is a raft.SnapshotSink that keeps the snapshot in memory.
type bufferSink struct {
	bytes.Buffer
	closed bool
}

func (s *bufferSink) ID() string    { return "buffer" }
func (s *bufferSink) Cancel() error { return nil }
func (s *bufferSink) Close() error  { s.closed = true; return nil }

// testJob returns a service job with one group of two tasks. Its maps have
// several keys so that map order would show in encodings.
func testJob(id string) *api.Job {
	return &api.Job{
		ID:          id,
		Name:        id,
		Type:        api.JobTypeService,
		Priority:    50,
		Datacenters: []string{"dc1"},
		Meta:        map[string]string{"team": "web", "tier": "front", "owner": "ops", "cost": "a1"},
		TaskGroups: []*api.TaskGroup{{
			Name:  "web",
			Count: 2,
			Tasks: []*api.Task{{
				Name:   "server",
				Driver: "wasm",
				Config: map[string]any{
					"module": "hello.wasm",
					"args":   []any{"-port", "8080"},
					"env":    map[string]any{"A": "1", "B": "2", "C": "3"},
				},
				Env:       map[string]string{"X": "1", "Y": "2", "Z": "3"},
				Resources: &api.Resources{CPU: 250, MemoryMB: 128},
			}},
		}},
	}
}

// testBatchJob returns a batch job.
func testBatchJob(id string) *api.Job {
	job := testJob(id)
	job.Type = api.JobTypeBatch
	return job
}

// testNode returns a ready node with one GPU.
func testNode(id string) *api.Node {
	return &api.Node{
		ID:         id,
		Name:       "node-" + id,
		Datacenter: "dc1",
		Attributes: map[string]string{"kernel.name": "linux", "cpu.arch": "amd64", "driver.wasm": "1"},
		Resources: &api.NodeResources{
			CPU:      4000,
			MemoryMB: 8192,
			Devices: []*api.DeviceGroup{{
				Vendor: "nvidia", Type: "gpu", Model: "H100",
				Instances: []*api.DeviceInstance{{ID: "GPU-" + id, MemoryMB: 81920, Healthy: true}},
			}},
		},
		Drivers: []string{"wasm", "exec"},
		Status:  api.NodeStatusReady,
	}
}

// testAlloc returns a pending allocation of the job's first group.
func testAlloc(id, jobID, nodeID, evalID string) *api.Allocation {
	return &api.Allocation{
		ID:        id,
		EvalID:    evalID,
		Name:      jobID + ".web[0]",
		NodeID:    nodeID,
		JobID:     jobID,
		TaskGroup: "web",
		Resources: map[string]*api.AllocatedResources{
			"server":  {CPU: 250, MemoryMB: 128},
			"sidecar": {CPU: 50, MemoryMB: 32},
		},
		DesiredStatus: api.AllocDesiredRun,
	}
}

// testEval returns a pending evaluation of a job.
func testEval(id, jobID string) *api.Evaluation {
	return &api.Evaluation{
		ID:          id,
		Priority:    50,
		Type:        api.JobTypeService,
		TriggeredBy: api.EvalTriggerJobRegister,
		JobID:       jobID,
		Status:      api.EvalStatusPending,
		CreateTime:  1_700_000_000_000_000_000,
	}
}

// command is one step of a scripted log.
type command struct {
	mt  MessageType
	req any
}

// scenario returns a log that uses every command type: nodes join, two
// jobs are registered and placed, clients report, a node drains and goes
// down, a job is changed, stopped and purged.
func scenario() []command {
	web := testJob("web")
	web2 := testJob("web")
	web2.TaskGroups[0].Count = 3
	batch := testBatchJob("report")

	return []command{
		{NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n1")}},
		{NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n2")}},
		{NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n3")}},
		{JobRegisterRequestType, &JobRegisterRequest{Job: web, Eval: testEval("e1", "web")}},
		{JobRegisterRequestType, &JobRegisterRequest{Job: batch, Eval: testEval("e2", "report")}},
		{PlanApplyRequestType, &PlanApplyRequest{
			EvalID: "e1", Job: web, Timestamp: 10,
			Alloc: []*api.Allocation{testAlloc("a1", "web", "n1", "e1"), testAlloc("a2", "web", "n2", "e1")},
			Evals: []*api.Evaluation{{ID: "e1", JobID: "web", Status: api.EvalStatusComplete}},
		}},
		{PlanApplyRequestType, &PlanApplyRequest{
			EvalID: "e2", Job: batch, Timestamp: 11,
			Alloc: []*api.Allocation{testAlloc("b1", "report", "n3", "e2")},
			Evals: []*api.Evaluation{{ID: "e2", JobID: "report", Status: api.EvalStatusComplete}},
		}},
		{AllocClientUpdateRequestType, &AllocClientUpdateRequest{Timestamp: 12, Allocs: []*api.Allocation{
			{ID: "a1", ClientStatus: api.AllocClientRunning, TaskStates: map[string]*api.TaskState{
				"server": {State: api.TaskStateRunning, StartedAt: 12}, "sidecar": {State: api.TaskStateRunning},
			}},
			{ID: "b1", ClientStatus: api.AllocClientComplete},
		}}},
		{NodeDrainRequestType, &NodeDrainRequest{NodeID: "n2", Drain: true, UpdatedAt: 13,
			Evals: []*api.Evaluation{testEval("e3", "web")}}},
		{NodeEligibilityRequestType, &NodeEligibilityRequest{NodeID: "n3", Eligibility: api.NodeIneligible}},
		{NodeStatusUpdateRequestType, &NodeStatusUpdateRequest{NodeID: "n2", Status: api.NodeStatusDown,
			Description: "missed heartbeats", UpdatedAt: 14}},
		{JobRegisterRequestType, &JobRegisterRequest{Job: web2, Eval: testEval("e4", "web")}},
		{PlanApplyRequestType, &PlanApplyRequest{
			EvalID: "e4", Job: web2, Timestamp: 15,
			NodeUpdate: []*api.Allocation{{ID: "a2", DesiredStatus: api.AllocDesiredStop,
				DesiredDescription: "node down", ClientStatus: api.AllocClientLost}},
			Alloc: []*api.Allocation{testAlloc("a3", "web", "n1", "e4"), testAlloc("a4", "web", "n1", "e4")},
			Evals: []*api.Evaluation{{ID: "e4", JobID: "web", Status: api.EvalStatusComplete}},
		}},
		{EvalDeleteRequestType, &EvalDeleteRequest{EvalIDs: []string{"e2"}}},
		{EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*api.Evaluation{testEval("e5", "report")}}},
		{JobDeregisterRequestType, &JobDeregisterRequest{JobID: "report", Purge: true}},
		{JobDeregisterRequestType, &JobDeregisterRequest{JobID: "web", Eval: testEval("e6", "web"), SubmitTime: 16}},
		{NodeDeregisterRequestType, &NodeDeregisterRequest{NodeID: "n3"}},
	}
}

// applyScenario applies the scenario's commands, each of which must
// succeed.
func applyScenario(h *harness) {
	for _, cmd := range scenario() {
		h.mustApply(cmd.mt, cmd.req)
	}
}
