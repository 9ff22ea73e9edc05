package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// planted is an anomaly planted in a synthetic series.
type planted struct {
	kind       EventKind
	start, end int // rows, inclusive
}

// syntheticSeries returns a noisy daily-like cycle (period 100 points) of
// n points with the given anomalies written over it.
func syntheticSeries(n int, seed uint64, events []planted) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = 50 + 10*math.Sin(2*math.Pi*float64(i)/100) + rng.NormFloat64()
	}
	for _, e := range events {
		switch e.kind {
		case EventSpike:
			vs[e.start] += 40
		case EventDrop:
			vs[e.start] -= 40
		case EventFlatline:
			for i := e.start; i <= e.end; i++ {
				vs[i] = vs[e.start]
			}
		case EventLevelShift:
			for i := e.start; i < n; i++ {
				vs[i] += 40
			}
		}
	}
	return vs
}

// TestTracker_PlantedEvents runs the combined detector and a tracker over
// series with one planted anomaly of each kind, and checks that each is
// reported once, with its kind and a range that covers it, and that
// nothing else is reported.
func TestTracker_PlantedEvents(t *testing.T) {
	events := []planted{
		{EventSpike, 1000, 1000},
		{EventDrop, 1600, 1600},
		{EventFlatline, 2200, 2300},
		{EventLevelShift, 2900, 3999},
	}
	for seed := uint64(1); seed <= 3; seed++ {
		vs := syntheticSeries(4000, seed, events)
		det, err := NewDetector(KindCombined, Config{})
		require.NoError(t, err)
		tr := NewTracker(TrackerConfig{})

		var got []Event
		for i, v := range vs {
			ts := epoch.Add(time.Duration(i) * time.Minute)
			if ev, ok := tr.Observe(ts, v, det.Observe(ts, v)); ok {
				got = append(got, ev)
			}
		}
		if ev, ok := tr.Flush(); ok {
			got = append(got, ev)
		}

		for _, ev := range got {
			t.Logf("seed %d: %s rows %d..%d peak %.2f flags %d", seed, ev.Kind,
				int(ev.Start.Sub(epoch)/time.Minute), int(ev.End.Sub(epoch)/time.Minute),
				ev.PeakScore, ev.Flags)
		}
		require.Len(t, got, len(events), "seed %d", seed)
		for i, want := range events {
			ev := got[i]
			start := int(ev.Start.Sub(epoch) / time.Minute)
			assert.Equal(t, want.kind, ev.Kind, "seed %d event %d", seed, i)
			assert.GreaterOrEqual(t, start, want.start, "seed %d %s", seed, want.kind)
			assert.LessOrEqual(t, start, want.start+20, "seed %d %s", seed, want.kind)
		}
	}
}
