package client

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// Telemetry defaults, used where Config leaves a field zero.
const (
	defaultTelemetryInterval = 5 * time.Second
	defaultTelemetryBuffer   = 20000
	// telemetryMaxBatch is the most samples one report carries; the
	// servers refuse reports of more than 10000.
	telemetryMaxBatch = 5000
)

// telemetryShipper samples the node every interval and reports the samples
// to the servers. Samples that could not be sent wait in a bounded buffer
// for the next round; when it is full the oldest are dropped, so that a
// client cut off from the servers never grows without bound and never
// blocks anything but its own loop.
type telemetryShipper struct {
	nodeID   string
	interval time.Duration
	limit    int
	sample   func(ctx context.Context) []*api.TelemetrySample
	send     func(ctx context.Context, rep *api.TelemetryReport) error
	logger   *slog.Logger

	// mu guards buf, dropped, sent and failing.
	mu      sync.Mutex
	buf     []*api.TelemetrySample
	dropped uint64
	sent    uint64
	failing bool
}

// newTelemetryShipper returns a shipper that keeps at most limit unsent
// samples.
func newTelemetryShipper(nodeID string, interval time.Duration, limit int,
	sample func(context.Context) []*api.TelemetrySample,
	send func(context.Context, *api.TelemetryReport) error, logger *slog.Logger) *telemetryShipper {
	if limit <= 0 {
		limit = defaultTelemetryBuffer
	}
	return &telemetryShipper{
		nodeID: nodeID, interval: interval, limit: limit,
		sample: sample, send: send, logger: logger,
	}
}

// Run samples and ships every interval until ctx ends.
func (ts *telemetryShipper) Run(ctx context.Context) {
	ticker := time.NewTicker(ts.interval)
	defer ticker.Stop()
	ts.round(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			ts.round(ctx)
		}
	}
}

// round takes one set of samples and sends what the buffer holds.
func (ts *telemetryShipper) round(ctx context.Context) {
	ts.add(ts.sample(ctx))
	ts.flush(ctx)
}

// add appends samples to the buffer, dropping the oldest past the limit.
func (ts *telemetryShipper) add(samples []*api.TelemetrySample) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.buf = append(ts.buf, samples...)
	if over := len(ts.buf) - ts.limit; over > 0 {
		ts.dropped += uint64(over)
		ts.buf = append([]*api.TelemetrySample(nil), ts.buf[over:]...)
	}
}

// flush sends the buffer in batches, oldest first, and stops at the first
// failure; what was not sent stays for the next round.
func (ts *telemetryShipper) flush(ctx context.Context) {
	for ctx.Err() == nil {
		batch := ts.peek()
		if len(batch) == 0 {
			return
		}
		err := ts.send(ctx, &api.TelemetryReport{NodeID: ts.nodeID, Samples: batch})
		if err != nil {
			ts.noteFailure(err)
			return
		}
		ts.acknowledge(batch)
	}
}

// peek returns up to telemetryMaxBatch of the oldest buffered samples.
func (ts *telemetryShipper) peek() []*api.TelemetrySample {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := min(len(ts.buf), telemetryMaxBatch)
	return append([]*api.TelemetrySample(nil), ts.buf[:n]...)
}

// acknowledge removes a sent batch from the buffer. Samples dropped while
// the batch was in flight may have taken some of it already.
func (ts *telemetryShipper) acknowledge(batch []*api.TelemetrySample) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	// The batch was a prefix of the buffer; drops only cut the front, so
	// the buffer now starts inside the batch or past it.
	if len(ts.buf) > 0 {
		for k, smp := range batch {
			if ts.buf[0] == smp {
				ts.buf = ts.buf[len(batch)-k:]
				break
			}
		}
	}
	ts.sent += uint64(len(batch))
	if ts.failing {
		ts.failing = false
		ts.logger.Info("telemetry reports resumed", "buffered", len(ts.buf), "dropped", ts.dropped)
	}
}

// noteFailure logs the first failure of a run of them.
func (ts *telemetryShipper) noteFailure(err error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if !ts.failing {
		ts.failing = true
		ts.logger.Warn("send telemetry; keeping samples for the next round",
			"buffered", len(ts.buf), "error", err)
	}
}

// stats returns how many samples are buffered, were sent and were dropped.
func (ts *telemetryShipper) stats() (buffered int, sent, dropped uint64) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.buf), ts.sent, ts.dropped
}
