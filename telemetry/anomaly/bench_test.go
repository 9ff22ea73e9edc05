package anomaly

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// weekOfMinutes is a week of one-minute samples, the window the benchmarks
// score against.
const weekOfMinutes = 7 * 24 * 60

// BenchmarkDetector_Observe measures the cost of scoring one point with
// each detector whose window holds a week of one-minute samples, after the
// window has filled. The target is microseconds per point: at 10 µs one
// core scores 100,000 series once every second. The isolation forest
// figures include its periodic retraining, amortised over the points.
func BenchmarkDetector_Observe(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	series := make([]float64, 4*weekOfMinutes)
	for i := range series {
		series[i] = 50 + 10*math.Sin(2*math.Pi*float64(i)/1440) + rng.NormFloat64()
	}
	for _, kind := range Kinds {
		b.Run(string(kind), func(b *testing.B) {
			det, err := NewDetector(kind, Config{Window: weekOfMinutes})
			if err != nil {
				b.Fatal(err)
			}
			for i := range weekOfMinutes {
				det.Observe(epoch.Add(time.Duration(i)*time.Minute), series[i])
			}
			b.ResetTimer()
			i := weekOfMinutes
			for b.Loop() {
				det.Observe(epoch.Add(time.Duration(i)*time.Minute), series[i%len(series)])
				i++
			}
			perPoint := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(perPoint*1e6, "µs/point")
			b.ReportMetric(1/perPoint, "points/s/core")
		})
	}
}

// BenchmarkMonitor_Observe measures what a Monitor adds to a detector (the
// series lookup, the locks and the event tracker) by feeding 1,000 series
// in turn with the cheapest detector, the EWMA; compare its µs/point with
// BenchmarkDetector_Observe/ewma.
func BenchmarkMonitor_Observe(b *testing.B) {
	m, err := NewMonitor(KindEWMA, Config{}, TrackerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("node-%d/cpu", i)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	i := 0
	for b.Loop() {
		m.Observe(names[i%len(names)], epoch.Add(time.Duration(i/len(names))*time.Minute),
			50+rng.NormFloat64())
		i++
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6, "µs/point")
}
