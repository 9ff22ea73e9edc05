package server

import (
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/telemetry"
)

// Bounds on the telemetry the leader keeps in memory. Raw samples never go
// through Raft; a new leader starts with an empty store and fills it from
// the clients' next reports.
const (
	telemetryPointsPerSeries = 720 // an hour of 5-second samples
	telemetryMaxSeries       = 100000
	telemetryMaxSamples      = 10000 // per report
)

// telemetryStore holds the recent samples of every series.
type telemetryStore struct {
	// mu guards series.
	mu     sync.Mutex
	series map[string]*timedRing
}

// timedRing is a bounded series of (time, value) points. Times are kept
// as integers: float64 would round nanosecond timestamps.
type timedRing struct {
	times  []int64
	values *telemetry.Ring
}

func (r *timedRing) push(t int64, v float64) {
	seq := r.values.Seq()
	if len(r.times) < telemetryPointsPerSeries {
		r.times = append(r.times, t)
	} else {
		r.times[seq%telemetryPointsPerSeries] = t
	}
	r.values.Push(v)
}

// points returns the times and values, oldest first.
func (r *timedRing) points() ([]int64, []float64) {
	values := r.values.Values(nil)
	n := len(r.times)
	times := make([]int64, 0, n)
	start := 0
	if n == telemetryPointsPerSeries {
		start = int(r.values.Seq() % telemetryPointsPerSeries)
	}
	for i := range n {
		times = append(times, r.times[(start+i)%n])
	}
	return times, values
}

func newTelemetryStore() *telemetryStore {
	return &telemetryStore{series: map[string]*timedRing{}}
}

// add records samples; it returns how many were dropped because the store
// holds as many series as it may.
func (ts *telemetryStore) add(samples []*api.TelemetrySample) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	dropped := 0
	for _, s := range samples {
		r, ok := ts.series[s.Series]
		if !ok {
			if len(ts.series) >= telemetryMaxSeries {
				dropped++
				continue
			}
			r = &timedRing{values: telemetry.NewRing(telemetryPointsPerSeries)}
			ts.series[s.Series] = r
		}
		r.push(s.Time, s.Value)
	}
	return dropped
}

// query returns every series whose name starts with prefix.
func (ts *telemetryStore) query(prefix string) []*api.TelemetrySeries {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := []*api.TelemetrySeries{}
	for name, r := range ts.series {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		times, values := r.points()
		out = append(out, &api.TelemetrySeries{Name: name, Times: times, Values: values})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// clientTelemetry takes a client's samples; it is forwarded to the leader,
// whose loops read them.
func (s *Server) clientTelemetry(_ http.ResponseWriter, r *http.Request) (any, error) {
	var rep api.TelemetryReport
	if err := decodeBody(r, &rep); err != nil {
		return nil, err
	}
	if len(rep.Samples) > telemetryMaxSamples {
		return nil, errorf(http.StatusRequestEntityTooLarge, "%d samples in one report: send at most %d", len(rep.Samples), telemetryMaxSamples)
	}
	for _, smp := range rep.Samples {
		if smp == nil || smp.Series == "" || smp.Time <= 0 {
			return nil, errorf(http.StatusBadRequest, "every sample needs a Series name and a positive Time")
		}
	}
	dropped := s.telemetry.add(rep.Samples)
	return map[string]int{"Accepted": len(rep.Samples) - dropped, "Dropped": dropped}, nil
}

func (s *Server) telemetryQuery(_ http.ResponseWriter, r *http.Request) (any, error) {
	return s.telemetry.query(r.URL.Query().Get("prefix")), nil
}
