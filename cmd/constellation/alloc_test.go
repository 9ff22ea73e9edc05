package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func testAllocation() *api.Allocation {
	return &api.Allocation{
		ID: "0123456789abcdef", EvalID: "eval-5555", Name: "train.g[0]", NodeID: "node-abcdefgh",
		JobID: "train", TaskGroup: "g", DesiredStatus: "run", ClientStatus: "failed",
		ClientDescription: "Failed tasks",
		Job: &api.Job{ID: "train", Version: 3, TaskGroups: []*api.TaskGroup{{Name: "g",
			Tasks: []*api.Task{{Name: "fit"}, {Name: "sidecar"}}}}},
		Resources: map[string]*api.AllocatedResources{"fit": {CPU: 500, MemoryMB: 256,
			Devices: []*api.AllocatedDevice{{Vendor: "nvidia", Type: "gpu", Model: "H200",
				DeviceIDs: []string{"GPU-1"}, Sharing: "mps", MPSComputePercent: 50, MPSMemoryMB: 10000}}}},
		TaskStates: map[string]*api.TaskState{"fit": {State: "dead", Failed: true, Restarts: 1, ExitCode: 3,
			Events: []*api.TaskEvent{
				{Type: api.TaskEventStarted, Time: testNow.UnixNano(), Message: "Task started by client"},
				{Type: api.TaskEventDriverErr, Time: testNow.UnixNano() + 1e9,
					Message: "wasm: fuel limit of 1000 exhausted", ExitCode: 1},
				{Type: api.TaskEventTerminated, Time: testNow.UnixNano() + 2e9, ExitCode: 3},
			}}},
	}
}

func TestFormatAllocStatus(t *testing.T) {
	var buf bytes.Buffer
	formatAllocStatus(&buf, testAllocation(), testNow)
	out := buf.String()
	for _, want := range []string{
		"ID                  = 0123456789abcdef",
		"Job Version         = 3",
		"Client Status       = failed",
		`Task "fit" is "dead (failed)"`,
		"CPU 500 MHz, Memory 256 MiB",
		"Device nvidia/gpu H200: GPU-1 (mps: 50% compute, 10000 MiB)",
		"wasm: fuel limit of 1000 exhausted (Exit Code: 1)",
		"Exit Code: 3",
		`Task "sidecar" is "pending"`,
	} {
		assert.Contains(t, out, want)
	}
	// Newest event first.
	assert.Less(t, strings.Index(out, "Terminated"), strings.Index(out, "Started  "))
	assertAligned(t, out, "Type")
}

func TestPickTask(t *testing.T) {
	alloc := testAllocation()
	tests := []struct {
		name, task, want, wantErr string
	}{
		{"named", "fit", "fit", ""},
		{"unknown", "nope", "", `no task "nope"; its tasks are: fit, sidecar`},
		{"ambiguous", "", "", "several tasks; name one of: fit, sidecar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickTask(alloc, tt.task)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	alloc.Job.TaskGroups[0].Tasks = alloc.Job.TaskGroups[0].Tasks[:1]
	alloc.TaskStates = nil
	got, err := pickTask(alloc, "")
	require.NoError(t, err)
	assert.Equal(t, "fit", got)
}

func TestLogSource_FallsBackToNode(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/v1/client/fs/logs/0123456789abcdef", r.URL.Path)
		assert.Equal(t, "fit", r.URL.Query().Get("task"))
		assert.Equal(t, "stderr", r.URL.Query().Get("type"))
		_, _ = w.Write([]byte("from the node\n"))
	}))
	defer node.Close()
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/node/node-abcdefgh" {
			writeTestJSON(w, &api.Node{ID: "node-abcdefgh", HTTPAddr: strings.TrimPrefix(node.URL, "http://")})
			return
		}
		http.Error(w, `{"error":"no route"}`, http.StatusNotFound)
	}))
	defer agent.Close()

	src := &logSource{agent: api.NewClient(agent.URL), alloc: testAllocation(), task: "fit", stream: "stderr"}
	buf, err := src.fetch(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "from the node\n", string(buf))
}
