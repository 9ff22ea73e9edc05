package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func follower(servers []*testServer, leader *testServer) *testServer {
	for _, ts := range servers {
		if ts != leader && ts.srv != nil {
			return ts
		}
	}
	return nil
}

func TestServer_FollowerForwardsAndJobIsPlaced(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)
	f := follower(servers, leader)
	ctx := context.Background()

	registerNode(t, f.client, "node-a", 4000, 4096)
	registerNode(t, f.client, "node-b", 4000, 4096)
	resp, err := f.client.RegisterJob(ctx, &api.JobRegisterRequest{Job: testJob("web", 4)})
	require.NoError(t, err)
	require.NotEmpty(t, resp.EvalID)

	require.Eventually(t, func() bool { return len(runningAllocs(t, f.client, "web")) == 4 },
		20*time.Second, 50*time.Millisecond)
	perNode := map[string]int{}
	for _, a := range runningAllocs(t, f.client, "web") {
		perNode[a.NodeID]++
	}
	require.Equal(t, map[string]int{"node-a": 2, "node-b": 2}, perNode, "equal nodes share the job")

	// A stale read on any server sees the job once it has replicated.
	for _, ts := range servers {
		require.Eventually(t, func() bool {
			job, _, err := ts.client.Job(ctx, "web", &api.QueryOptions{Stale: true})
			return err == nil && job.ID == "web"
		}, 10*time.Second, 50*time.Millisecond)
	}
}

func TestServer_LeaderLossElectsNewLeaderAndKeepsWrites(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)
	ctx := context.Background()
	_, err := leader.client.RegisterJob(ctx, &api.JobRegisterRequest{Job: testJob("before", 0)})
	require.NoError(t, err)

	leader.stop()
	next := waitLeader(t, servers)
	require.NotEqual(t, leader.name, next.name)

	f := follower(servers, next)
	require.Eventually(t, func() bool {
		_, err := f.client.RegisterJob(ctx, &api.JobRegisterRequest{Job: testJob("after", 0)})
		return err == nil
	}, 20*time.Second, 100*time.Millisecond)
	job, _, err := next.client.Job(ctx, "before", nil)
	require.NoError(t, err)
	require.Equal(t, "before", job.ID)
}

func TestServer_RestartOfEveryServerKeepsState(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)
	ctx := context.Background()
	registerNode(t, leader.client, "node-a", 4000, 4096)
	_, err := leader.client.RegisterJob(ctx, &api.JobRegisterRequest{Job: testJob("keep", 3)})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(runningAllocs(t, leader.client, "keep")) == 3 },
		20*time.Second, 50*time.Millisecond)
	before := runningAllocs(t, leader.client, "keep")

	for _, ts := range servers {
		ts.stop()
	}
	first := fmt.Sprintf("127.0.0.1:%d", servers[0].ports[2])
	for i, ts := range servers {
		var join []string
		if i > 0 {
			join = []string{first}
		}
		ts.start(t, 3, join)
	}
	leader = waitLeader(t, servers)
	job, _, err := leader.client.Job(ctx, "keep", nil)
	require.NoError(t, err)
	require.Equal(t, 3, job.TaskGroups[0].Count)
	after := runningAllocs(t, leader.client, "keep")
	require.ElementsMatch(t, allocIDs(before), allocIDs(after))
}

func allocIDs(allocs []*api.AllocListStub) []string {
	var ids []string
	for _, a := range allocs {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestServer_MissedHeartbeatsMarkNodeDownAndReschedule(t *testing.T) {
	servers := startCluster(t, 1)
	leader := waitLeader(t, servers)
	c := leader.client
	ctx := context.Background()
	registerNode(t, c, "node-a", 4000, 4096)
	registerNode(t, c, "node-b", 4000, 4096)
	_, err := c.RegisterJob(ctx, &api.JobRegisterRequest{Job: testJob("svc", 2)})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(runningAllocs(t, c, "svc")) == 2 },
		20*time.Second, 50*time.Millisecond)

	// Only node-b keeps heartbeating.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			_, _ = c.Heartbeat(ctx, "node-b")
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	require.Eventually(t, func() bool {
		node, _, err := c.Node(ctx, "node-a", nil)
		return err == nil && node.Status == api.NodeStatusDown
	}, 20*time.Second, 100*time.Millisecond)
	require.Eventually(t, func() bool {
		live := runningAllocs(t, c, "svc")
		if len(live) != 2 {
			return false
		}
		for _, a := range live {
			if a.NodeID != "node-b" {
				return false
			}
		}
		return true
	}, 20*time.Second, 100*time.Millisecond)

	all, _, err := c.JobAllocations(ctx, "svc", nil)
	require.NoError(t, err)
	lost := 0
	for _, a := range all {
		if a.NodeID == "node-a" {
			require.Equal(t, api.AllocClientLost, a.ClientStatus)
			lost++
		}
	}
	require.Positive(t, lost)
}

func TestServer_ConcurrentJobsNeverOvercommitANode(t *testing.T) {
	servers := startCluster(t, 1)
	leader := waitLeader(t, servers)
	c := leader.client
	ctx := context.Background()
	// Room for exactly five 100 MHz allocations.
	registerNode(t, c, "small", 500, 4096)

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.RegisterJob(ctx, &api.JobRegisterRequest{Job: testJob(fmt.Sprintf("job-%d", i), 1)})
			require.NoError(t, err)
		}()
	}
	wg.Wait()

	countPlaced := func() int {
		allocs, _, err := c.Allocations(ctx, nil)
		require.NoError(t, err)
		n := 0
		for _, a := range allocs {
			if a.DesiredStatus == api.AllocDesiredRun {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return countPlaced() == 5 }, 20*time.Second, 50*time.Millisecond)
	// Let the other evaluations run out; the count must not move past 5.
	require.Eventually(t, func() bool {
		evals, _, err := c.Evaluations(ctx, nil)
		require.NoError(t, err)
		for _, e := range evals {
			if e.Status == api.EvalStatusPending {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, 5, countPlaced())
}

func TestServer_BadInputIsRefusedWithAMessage(t *testing.T) {
	servers := startCluster(t, 1)
	leader := waitLeader(t, servers)
	base := "http://127.0.0.1:" + fmt.Sprint(leader.ports[0])

	post := func(path, body string) (int, string) {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.String()
	}
	cases := []struct {
		name, path, body string
		code             int
		want             string
	}{
		{"malformed json", "/v1/jobs", `{"Job": {`, 400, "not valid JSON"},
		{"unknown field", "/v1/jobs", `{"Job": {"ID": "x"}, "Bogus": 1}`, 400, "unknown field"},
		{"no job", "/v1/jobs", `{}`, 400, "request has no"},
		{"negative memory", "/v1/jobs", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [{"Name": "t", "Driver": "wasm", "Resources": {"CPU": 100, "MemoryMB": -1}}]}]}}`, 400, "memory -1 MB is out of range"},
		{"path in id", "/v1/jobs", `{"Job": {"ID": "../../etc", "TaskGroups": [{"Name": "g", "Count": 1, "Tasks": [{"Name": "t", "Driver": "wasm"}]}]}}`, 400, "may use only letters"},
		{"huge body", "/v1/jobs", `{"Job": {"ID": "` + strings.Repeat("a", 2<<20) + `"}}`, 413, "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(tc.path, tc.body)
			require.Equal(t, tc.code, code, body)
			require.Contains(t, body, tc.want)
		})
	}

	jobs, _, err := leader.client.Jobs(context.Background(), nil)
	require.NoError(t, err)
	require.Empty(t, jobs, "nothing refused was stored")

	resp, err := http.Get(base + "/v1/nope")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestServer_BlockingQueryWaitsForChange(t *testing.T) {
	servers := startCluster(t, 1)
	leader := waitLeader(t, servers)
	c := leader.client
	ctx := context.Background()
	_, meta, err := c.Jobs(ctx, nil)
	require.NoError(t, err)
	require.Positive(t, meta.LastIndex)

	done := make(chan uint64, 1)
	go func() {
		_, m, err := c.Jobs(ctx, &api.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 20 * time.Second})
		if err == nil {
			done <- m.LastIndex
		}
	}()
	_, err = c.RegisterJob(ctx, &api.JobRegisterRequest{Job: testJob("wake", 0)})
	require.NoError(t, err)
	select {
	case idx := <-done:
		require.Greater(t, idx, meta.LastIndex)
	case <-time.After(15 * time.Second):
		t.Fatal("blocking query did not wake on a job write")
	}
}

func TestServer_TelemetryIsKeptOnTheLeader(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)
	f := follower(servers, leader)
	ctx := context.Background()
	now := time.Now().UnixNano()
	rep := &api.TelemetryReport{NodeID: "n1", Samples: []*api.TelemetrySample{
		{Series: "node/n1/gpu/GPU-1/utilization", Time: now, Value: 40},
		{Series: "node/n1/gpu/GPU-1/utilization", Time: now + 1, Value: 60},
		{Series: "node/n1/cpu_percent", Time: now, Value: 12},
	}}
	require.NoError(t, f.client.ReportTelemetry(ctx, rep))
	series, err := f.client.Telemetry(ctx, "node/n1/gpu/")
	require.NoError(t, err)
	require.Len(t, series, 1)
	require.Equal(t, []float64{40, 60}, series[0].Values)
	require.Equal(t, []int64{now, now + 1}, series[0].Times)

	err = f.client.ReportTelemetry(ctx, &api.TelemetryReport{Samples: []*api.TelemetrySample{{Series: ""}}})
	require.Error(t, err)
}

func TestServer_LeaveHandsLeadershipOver(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)
	leader.srv.Leave()
	require.False(t, leader.srv.isLeader(), "a leaving leader steps down")
	next := waitLeader(t, servers)
	require.NotEqual(t, leader.name, next.name)
	_, err := next.client.RegisterJob(context.Background(), &api.JobRegisterRequest{Job: testJob("after-leave", 0)})
	require.NoError(t, err)
}

func TestServer_DataDirInUseIsRefused(t *testing.T) {
	dir := t.TempDir()
	ports := freePorts(t, 2)
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.RaftPort = "a", dir, ports[0]
	first, err := New(cfg, testLogger())
	require.NoError(t, err)
	defer first.Shutdown()

	cfg.Name, cfg.RaftPort = "b", ports[1]
	_, err = New(cfg, testLogger())
	require.Error(t, err)
	require.Contains(t, err.Error(), "another agent is using this data dir")
}
