package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// rowFields returns the whitespace-split fields of the first line that
// starts with prefix.
func rowFields(t *testing.T, out, prefix string) []string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.Fields(l)
		}
	}
	t.Fatalf("no line starting with %q in\n%s", prefix, out)
	return nil
}

func TestFormatJobList(t *testing.T) {
	var buf bytes.Buffer
	formatJobList(&buf, []*api.JobListStub{
		{ID: "web", Type: "service", Priority: 50, Status: "running", Version: 2,
			SubmitTime: testNow.Add(-90 * time.Second).UnixNano()},
		{ID: "batch-import", Type: "batch", Priority: 70, Status: "dead", Stop: true},
	}, testNow)
	out := buf.String()
	assert.Equal(t, []string{"batch-import", "batch", "70", "dead", "(stopped)", "0", "-"},
		rowFields(t, out, "batch-import"))
	assert.Equal(t, []string{"web", "service", "50", "running", "2", "1m30s", "ago"}, rowFields(t, out, "web"))
	assertAligned(t, out, "Status")

	buf.Reset()
	formatJobList(&buf, nil, testNow)
	assert.Equal(t, "No jobs running\n", buf.String())
}

func TestFormatJobStatus(t *testing.T) {
	job := &api.Job{ID: "web", Name: "web", Type: "service", Priority: 50, Status: "running",
		Datacenters: []string{"dc1"},
		TaskGroups:  []*api.TaskGroup{{Name: "frontend", Count: 3}, {Name: "cache", Count: 1}}}
	allocs := []*api.AllocListStub{
		{ID: "aaaaaaaa-1111", NodeID: "node-1234567", TaskGroup: "frontend", ClientStatus: "running",
			DesiredStatus: "run", CreateIndex: 5},
		{ID: "bbbbbbbb-2222", NodeID: "node-1234567", TaskGroup: "frontend", ClientStatus: "running",
			DesiredStatus: "run", CreateIndex: 6},
		{ID: "cccccccc-3333", NodeID: "node-7654321", TaskGroup: "frontend", ClientStatus: "failed",
			DesiredStatus: "run", CreateIndex: 7},
	}
	var buf bytes.Buffer
	formatJobStatus(&buf, job, allocs, testNow)
	out := buf.String()
	assert.Equal(t, []string{"frontend", "3", "0", "2", "0", "1", "0"}, rowFields(t, out, "frontend"))
	assert.Equal(t, []string{"cache", "1", "0", "0", "0", "0", "0"}, rowFields(t, out, "cache"))
	assert.Equal(t, "cccccccc", rowFields(t, out, "cccccccc")[0])
	assert.Less(t, strings.Index(out, "cccccccc"), strings.Index(out, "aaaaaaaa"), "newest allocation first")
	assertAligned(t, out, "Running")
}

func TestFormatEvalResult(t *testing.T) {
	eval := &api.Evaluation{ID: "eval-12345678", JobID: "train", TriggeredBy: "job-register",
		Status: api.EvalStatusComplete, BlockedEval: "blocked-9999",
		FailedTGAllocs: map[string]*api.AllocMetric{"workers": {
			NodesEvaluated: 4, NodesFiltered: 1, NodesExhausted: 3, CoalescedFailures: 1,
			ConstraintFiltered: map[string]int{"${attr.kernel.name} = linux": 1},
			DimensionExhausted: map[string]int{"devices: nvidia/gpu": 3},
		}}}
	allocs := []*api.Allocation{{ID: "alloc-abcdef", NodeID: "node-123456789", TaskGroup: "workers",
		Name: "train.workers[0]"}}
	var buf bytes.Buffer
	formatEvalResult(&buf, eval, allocs)
	out := buf.String()
	for _, want := range []string{
		`Allocation "alloc-ab" created: node "node-123", group "workers"`,
		`failed to place all allocations`,
		`Task Group "workers" (failed to place 2 allocations)`,
		`Constraint "${attr.kernel.name} = linux": 1 nodes excluded by filter`,
		`Resources exhausted on 3 nodes`,
		`Dimension "devices: nvidia/gpu" exhausted on 3 nodes`,
		`Evaluation "blocked-" waiting for additional capacity`,
	} {
		assert.Contains(t, out, want)
	}

	buf.Reset()
	eval.FailedTGAllocs, eval.BlockedEval = nil, ""
	formatEvalResult(&buf, eval, allocs)
	assert.Contains(t, buf.String(), `finished with status "complete"`)
	assert.NotContains(t, buf.String(), "failed to place")
}

func TestFormatJobVersions(t *testing.T) {
	var buf bytes.Buffer
	formatJobVersions(&buf, []*api.Job{
		{Version: 1, TaskGroups: []*api.TaskGroup{{Name: "g", Count: 5,
			Tasks: []*api.Task{{Name: "t", Driver: "wasm"}}}}},
		{Version: 0, Stop: true, TaskGroups: []*api.TaskGroup{{Name: "g", Count: 2,
			Tasks: []*api.Task{{Name: "t", Driver: "exec"}}}}},
	})
	out := buf.String()
	assert.Equal(t, []string{"1", "-", "false", "g=5", "g/t:wasm"}, rowFields(t, out, "1 "))
	assert.Equal(t, []string{"0", "-", "true", "g=2", "g/t:exec"}, rowFields(t, out, "0 "))
}

func TestFormatJobSummary(t *testing.T) {
	var buf bytes.Buffer
	formatJobSummary(&buf, &api.Job{ID: "train", Type: "batch", Priority: 50,
		TaskGroups: []*api.TaskGroup{{Name: "g", Count: 2, Tasks: []*api.Task{{
			Name: "fit", Driver: "gpu", Resources: &api.Resources{CPU: 500, MemoryMB: 1024,
				Devices: []*api.DeviceRequest{{Name: "nvidia/gpu", Count: 1, Sharing: "mps"}}}}}}}})
	out := buf.String()
	assert.Contains(t, out, "Job validation successful")
	assert.Equal(t, []string{"g", "fit", "gpu", "500", "1024", "1", "x", "nvidia/gpu", "(mps)"},
		rowFields(t, out, "g "))
}

// fakeAPI serves the routes job run uses: a register, an evaluation that
// is pending on the first read and complete on the next, and the
// allocations it placed.
func fakeAPI(t *testing.T) *httptest.Server {
	var evalReads atomic.Int32
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, index uint64, v any) {
		w.Header().Set(api.HeaderIndex, strconv.FormatUint(index, 10))
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /v1/jobs", func(w http.ResponseWriter, r *http.Request) {
		var req api.JobRegisterRequest
		require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		assert.Equal(t, "hello", req.Job.ID)
		reply(w, 5, &api.JobRegisterResponse{EvalID: "eval-0001-abcd", Index: 5})
	})
	mux.HandleFunc("GET /v1/evaluation/eval-0001-abcd", func(w http.ResponseWriter, r *http.Request) {
		eval := &api.Evaluation{ID: "eval-0001-abcd", JobID: "hello", TriggeredBy: "job-register",
			Status: api.EvalStatusPending}
		if evalReads.Add(1) > 1 {
			eval.Status = api.EvalStatusComplete
			eval.FailedTGAllocs = map[string]*api.AllocMetric{"g": {NodesEvaluated: 1, NodesExhausted: 1,
				DimensionExhausted: map[string]int{"memory": 1}}}
		}
		reply(w, 6, eval)
	})
	mux.HandleFunc("GET /v1/job/hello/allocations", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 6, []*api.AllocListStub{
			{ID: "old-alloc-1", JobID: "hello", TaskGroup: "g", CreateIndex: 2},
			{ID: "new-alloc-2", JobID: "hello", TaskGroup: "g", CreateIndex: 6},
		})
	})
	mux.HandleFunc("GET /v1/allocation/new-alloc-2", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 6, &api.Allocation{ID: "new-alloc-2", EvalID: "eval-0001-abcd", NodeID: "node-99999999",
			TaskGroup: "g", JobID: "hello"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestJobRun_FollowsEvaluation(t *testing.T) {
	srv := fakeAPI(t)
	file := filepath.Join(t.TempDir(), "hello.hcl")
	require.NoError(t, os.WriteFile(file, []byte(`job "hello" {
  group "g" {
    count = 2
    task "t" {
      driver = "exec"
      config {
        command = "/bin/true"
      }
    }
  }
}`), 0o644))

	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs(normalizeArgs(root, []string{"job", "run", "-address", srv.URL, file}))
	err := root.Execute()

	var ee *exitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, exitPlacementFailed, ee.code)
	text := out.String()
	assert.Contains(t, text, `Job "hello" registered`)
	assert.Contains(t, text, `Allocation "new-allo" created: node "node-999", group "g"`)
	assert.NotContains(t, text, "old-allo", "allocations from before the evaluation are not its own")
	assert.Contains(t, text, `Dimension "memory" exhausted on 1 nodes`)
}

func TestJobValidate_ReportsFileErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.hcl")
	require.NoError(t, os.WriteFile(file, []byte("job \"x\" {\n  grup \"g\" {}\n}\n"), 0o644))
	root := newRootCmd()
	root.SetOut(&bytes.Buffer{})
	root.SetArgs([]string{"job", "validate", file})
	err := root.Execute()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.hcl:2:3")
}

func TestJobValidate_RefusesBadDriverConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.hcl")
	require.NoError(t, os.WriteFile(file, []byte(`job "bad" {
  group "g" {
    task "t" {
      driver = "wasm"
      config {
        module    = "m.wasm"
        bogus_key = 1
      }
    }
  }
}`), 0o644))
	_, err := readJobFile(file)
	require.Error(t, err)
	require.Contains(t, err.Error(), "unknown key config.bogus_key")
}

func TestFormatPlacementFailures_ShowsNewestFinishedEval(t *testing.T) {
	evals := []*api.Evaluation{
		{ID: "old", Status: api.EvalStatusComplete, ModifyIndex: 5, FailedTGAllocs: map[string]*api.AllocMetric{
			"web": {NodesEvaluated: 1, NodesExhausted: 1, DimensionExhausted: map[string]int{"cpu": 1}}}},
		{ID: "new", Status: api.EvalStatusComplete, ModifyIndex: 9},
	}
	var out bytes.Buffer
	formatPlacementFailures(&out, evals)
	require.Empty(t, out.String(), "a later evaluation placed everything")

	evals[1].FailedTGAllocs = map[string]*api.AllocMetric{
		"web": {NodesEvaluated: 2, NodesExhausted: 2, DimensionExhausted: map[string]int{"memory": 2}}}
	formatPlacementFailures(&out, evals)
	require.Contains(t, out.String(), "Placement Failure")
	require.Contains(t, out.String(), `Dimension "memory" exhausted on 2 nodes`)
}
