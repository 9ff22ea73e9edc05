package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/client/gpu"
)

// recordingSink is a telemetry destination that can be made to fail.
type recordingSink struct {
	mu      sync.Mutex
	fail    bool
	reports []*api.TelemetryReport
}

func (rs *recordingSink) send(_ context.Context, rep *api.TelemetryReport) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.fail {
		return errors.New("server unreachable")
	}
	rs.reports = append(rs.reports, rep)
	return nil
}

func (rs *recordingSink) values() []float64 {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var out []float64
	for _, r := range rs.reports {
		for _, s := range r.Samples {
			out = append(out, s.Value)
		}
	}
	return out
}

// counter returns a sampler giving n samples numbered on from the last.
func counter(n int) func(context.Context) []*api.TelemetrySample {
	next := 0
	return func(context.Context) []*api.TelemetrySample {
		var out []*api.TelemetrySample
		for range n {
			next++
			out = append(out, &api.TelemetrySample{Series: "s", Time: int64(next), Value: float64(next)})
		}
		return out
	}
}

func TestTelemetryShipper_Rounds(t *testing.T) {
	tests := []struct {
		name     string
		perRound int
		limit    int
		failing  int // rounds that fail before the last one succeeds
		want     []float64
		dropped  uint64
	}{
		{name: "sent at once", perRound: 2, limit: 10, failing: 0, want: []float64{1, 2}},
		{name: "kept while failing", perRound: 2, limit: 10, failing: 2,
			want: []float64{1, 2, 3, 4, 5, 6}},
		{name: "oldest dropped past the limit", perRound: 3, limit: 4, failing: 2,
			want: []float64{6, 7, 8, 9}, dropped: 5},
		{name: "split into batches", perRound: telemetryMaxBatch + 7, limit: 3 * telemetryMaxBatch,
			want: seq(1, telemetryMaxBatch+7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordingSink{fail: tt.failing > 0}
			ts := newTelemetryShipper("n1", time.Second, tt.limit, counter(tt.perRound),
				sink.send, slog.New(slog.DiscardHandler))
			for range tt.failing {
				ts.round(context.Background())
			}
			sink.fail = false
			ts.round(context.Background())

			assert.Equal(t, tt.want, sink.values())
			buffered, sent, dropped := ts.stats()
			assert.Zero(t, buffered)
			assert.Equal(t, uint64(len(tt.want)), sent)
			assert.Equal(t, tt.dropped, dropped)
			for _, r := range sink.reports {
				assert.Equal(t, "n1", r.NodeID)
				assert.LessOrEqual(t, len(r.Samples), telemetryMaxBatch)
			}
		})
	}
}

func seq(from, to int) []float64 {
	var out []float64
	for i := from; i <= to; i++ {
		out = append(out, float64(i))
	}
	return out
}

func TestTelemetryShipper_DropWhileInFlight(t *testing.T) {
	// Samples taken while a batch is in flight may push part of it out of
	// the full buffer; acknowledging the batch must then remove only what
	// is left of it, never the new samples.
	ts := newTelemetryShipper("n1", time.Second, 4, nil, nil, slog.New(slog.DiscardHandler))
	ts.add(counter(4)(context.Background()))
	inFlight := ts.peek()
	fresh := counter(3)(context.Background())
	ts.add(fresh)
	ts.acknowledge(inFlight)

	buffered, _, dropped := ts.stats()
	assert.Equal(t, 3, buffered)
	assert.Equal(t, uint64(3), dropped)
	assert.Equal(t, fresh, ts.peek())
}

func TestNodeSampler_Series(t *testing.T) {
	inv, err := gpu.Discover(gpu.Options{Mock: "dgxa100"})
	require.NoError(t, err)
	t.Cleanup(func() { inv.Close() })
	ns := &nodeSampler{
		nodeID: "n1", gpus: inv, now: time.Now,
		tasks: func() []taskUsage {
			return []taskUsage{{allocID: "a1", task: "web", cpuPct: 12.5, memory: 64 << 20}}
		},
	}

	// The first round has no CPU figure yet: it needs two readings.
	first := seriesValues(ns.sample(context.Background()))
	assert.NotContains(t, first, "node/n1/cpu_percent")
	got := seriesValues(ns.sample(context.Background()))
	require.Contains(t, got, "node/n1/cpu_percent")
	assert.GreaterOrEqual(t, got["node/n1/cpu_percent"], 0.0)
	assert.LessOrEqual(t, got["node/n1/cpu_percent"], 100.0)
	assert.Positive(t, got["node/n1/memory_used_mb"])
	assert.Equal(t, 12.5, got["alloc/a1/web/cpu_percent"])
	assert.Equal(t, 64.0, got["alloc/a1/web/memory_used_mb"])

	// Every GPU is there with exactly the metrics its sample reports.
	samples := inv.Sample()
	require.Len(t, samples, 8)
	for _, s := range samples {
		for _, m := range []struct {
			metric gpu.Metric
			name   string
		}{
			{gpu.MetricUtilization, "utilization"}, {gpu.MetricMemoryUsed, "memory_used_mb"},
			{gpu.MetricTemperature, "temperature_c"}, {gpu.MetricPower, "power_w"},
		} {
			name := fmt.Sprintf("node/n1/gpu/%s/%s", s.DeviceID, m.name)
			_, ok := got[name]
			assert.Equal(t, s.Reports(m.metric), ok, name)
		}
	}
	gpuSeries := 0
	for name := range got {
		if strings.Contains(name, "/gpu/") {
			gpuSeries++
		}
	}
	assert.Positive(t, gpuSeries)
}

func TestBusyPercent(t *testing.T) {
	tests := []struct {
		name   string
		t1, t2 [2]float64 // busy (user), idle
		want   float64
	}{
		{"half busy", [2]float64{10, 10}, [2]float64{20, 20}, 50},
		{"all idle", [2]float64{10, 10}, [2]float64{10, 30}, 0},
		{"no time passed", [2]float64{10, 10}, [2]float64{10, 10}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := busyPercent(cpuTimes(tt.t1), cpuTimes(tt.t2))
			assert.InDelta(t, tt.want, got, 1e-9)
		})
	}
}

func cpuTimes(busyIdle [2]float64) cpu.TimesStat {
	return cpu.TimesStat{User: busyIdle[0], Idle: busyIdle[1]}
}

func seriesValues(samples []*api.TelemetrySample) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		out[s.Series] = s.Value
	}
	return out
}
