package server

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/client/gpu"
)

// telemetryMetrics names the GPU series of each sample metric.
var telemetryMetrics = []struct {
	metric gpu.Metric
	name   string
}{
	{gpu.MetricUtilization, "utilization"},
	{gpu.MetricMemoryUsed, "memory_used_mb"},
	{gpu.MetricTemperature, "temperature_c"},
	{gpu.MetricPower, "power_w"},
}

// seriesByName reads every series under prefix from c, by name.
func seriesByName(c *api.Client, prefix string) map[string]*api.TelemetrySeries {
	series, err := c.Telemetry(context.Background(), prefix)
	if err != nil {
		return nil
	}
	out := map[string]*api.TelemetrySeries{}
	for _, s := range series {
		out[s.Name] = s
	}
	return out
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestGPUCluster_Telemetry runs a client with a mock DGX A100 that ships
// telemetry to a real three-server cluster, and reads the series back
// through the API: the node's CPU and memory, a running task's use, and
// every GPU's reported metrics. The client first tries a server that is
// down, and keeps reporting to the new leader when the leader stops.
func TestGPUCluster_Telemetry(t *testing.T) {
	servers := startCluster(t, 3)
	leader := waitLeader(t, servers)
	node := startClient(t, servers, clientOptions{
		name: "tm", mock: "dgxa100", telemetry: 100 * time.Millisecond,
		before: []string{deadAddr(t)},
	})
	waitNodeReady(t, leader.client, node)
	job := &api.Job{ID: "tm", Type: api.JobTypeService, TaskGroups: []*api.TaskGroup{{
		Name: "g", Count: 1, Tasks: []*api.Task{{
			Name: "t", Driver: "exec", Config: map[string]any{"command": "/bin/sleep", "args": []any{"600"}},
			Resources: &api.Resources{CPU: 20, MemoryMB: 16},
		}},
	}}}
	registerJob(t, leader.client, job)
	alloc := waitAlloc(t, leader.client, "tm", clientStatus(api.AllocClientRunning))

	// Everything the node reports reaches the leader.
	nodePrefix := "node/" + node.agent.NodeID() + "/"
	want := []string{nodePrefix + "cpu_percent", nodePrefix + "memory_used_mb",
		"alloc/" + alloc.ID + "/t/cpu_percent", "alloc/" + alloc.ID + "/t/memory_used_mb"}
	samples := node.inv.Sample()
	require.Len(t, samples, 8)
	for _, s := range samples {
		for _, m := range telemetryMetrics {
			if s.Reports(m.metric) {
				want = append(want, fmt.Sprintf("%sgpu/%s/%s", nodePrefix, s.DeviceID, m.name))
			}
		}
	}
	require.GreaterOrEqual(t, len(want), 4+8, "a mock GPU reports no metric")
	var got map[string]*api.TelemetrySeries
	require.Eventually(t, func() bool {
		got = seriesByName(leader.client, "")
		for _, name := range want {
			if got[name] == nil {
				return false
			}
		}
		return true
	}, 20*time.Second, 20*time.Millisecond, "series missing at the leader")

	// Only what the devices report is shipped, with sane values.
	for name, s := range got {
		if strings.HasPrefix(name, nodePrefix) || strings.HasPrefix(name, "alloc/") {
			assert.Contains(t, want, name, "a series the node does not report")
		}
		require.Equal(t, len(s.Times), len(s.Values))
		for i := 1; i < len(s.Times); i++ {
			assert.LessOrEqual(t, s.Times[i-1], s.Times[i], "%s out of order", name)
		}
	}
	assert.Positive(t, last(got[nodePrefix+"memory_used_mb"]))
	assert.Positive(t, last(got["alloc/"+alloc.ID+"/t/memory_used_mb"]),
		"a running sleep has resident memory")
	cpu := last(got[nodePrefix+"cpu_percent"])
	assert.True(t, cpu >= 0 && cpu <= 100, "cpu_percent %v", cpu)

	// A new leader starts with an empty store; the client finds it and
	// fills it again.
	leader.stop()
	next := waitLeader(t, servers)
	require.NotSame(t, leader, next)
	require.Eventually(t, func() bool {
		s := seriesByName(next.client, nodePrefix)[nodePrefix+"memory_used_mb"]
		return s != nil && len(s.Values) >= 2
	}, 30*time.Second, 20*time.Millisecond, "the new leader gets no telemetry")
}

// last returns a series' newest value.
func last(s *api.TelemetrySeries) float64 {
	if s == nil || len(s.Values) == 0 {
		return -1
	}
	return s.Values[len(s.Values)-1]
}
