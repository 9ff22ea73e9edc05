package predict

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Targets from the design: one server watches a hundred thousand series,
// so an observation must cost microseconds and a forecast under a
// millisecond. Each benchmark reports its cost as a share of its target.
const (
	observeTarget  = 10 * time.Microsecond
	forecastTarget = time.Millisecond
	weekOfMinutes  = 7 * 24 * 60
)

// loadWeek returns a week of one-minute samples shaped like service load:
// a daily cycle with a lunchtime bump, a slow trend and noise.
func loadWeek(seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 21))
	y := make([]float64, weekOfMinutes+2000)
	for i := range y {
		day := 2 * math.Pi * float64(i%1440) / 1440
		y[i] = 500 + 0.005*float64(i) + 200*math.Sin(day-math.Pi/2) +
			60*math.Exp(-math.Pow(float64(i%1440-720)/60, 2)) + 15*r.NormFloat64()
	}
	return y
}

// reportTarget states the measured cost per operation against target.
func reportTarget(b *testing.B, target time.Duration) {
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(100*per/float64(target.Nanoseconds()), "%_of_target")
}

// fitted returns a model of the given name fitted on a week of minutes.
func fitted(b *testing.B, name string, y []float64) Model {
	b.Helper()
	m, err := NewModel(name, 60)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Fit(y[:weekOfMinutes], 1440); err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkModel_Update measures one observation folded into a fitted
// model, against a 10µs target.
func BenchmarkModel_Update(b *testing.B) {
	y := loadWeek(1)
	for _, name := range ModelNames() {
		b.Run(name, func(b *testing.B) {
			m := fitted(b, name, y)
			tail := y[weekOfMinutes:]
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				m.Update(tail[i%len(tail)])
			}
			reportTarget(b, observeTarget)
		})
	}
}

// BenchmarkModel_Predict measures one forecast an hour and a day ahead
// from a model fitted on a week of minutes, against a 1ms target.
func BenchmarkModel_Predict(b *testing.B) {
	y := loadWeek(2)
	for _, name := range ModelNames() {
		m := fitted(b, name, y)
		for _, h := range []int{60, 1440} {
			b.Run(name+"/h="+time.Duration(h*int(time.Minute)).String(), func(b *testing.B) {
				for b.Loop() {
					m.Predict(h)
				}
				reportTarget(b, forecastTarget)
			})
		}
	}
}

// BenchmarkModel_Fit measures one fit on a week of minutes with a daily
// period. Fits run in the background, every RefitEvery steps; the figure
// bounds how many series one core can keep fitted.
func BenchmarkModel_Fit(b *testing.B) {
	y := loadWeek(3)[:weekOfMinutes]
	for _, name := range ModelNames() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				m, _ := NewModel(name, 60)
				if err := m.Fit(y, 1440); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkForecaster_Observe measures Forecaster.Observe on a fitted
// ensemble over a week of minutes, refits included (they run on the pool
// and are amortised over RefitEvery steps), against a 10µs target.
func BenchmarkForecaster_Observe(b *testing.B) {
	y := loadWeek(4)
	pool := NewRefitPool(1, 4)
	defer pool.Close()
	f, err := NewForecaster(Config{Step: time.Minute, Pool: pool})
	if err != nil {
		b.Fatal(err)
	}
	for i, v := range y[:weekOfMinutes] {
		if err := f.Observe(t0.Add(time.Duration(i)*time.Minute), v); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Refit(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		at := t0.Add(time.Duration(weekOfMinutes+i) * time.Minute)
		if err := f.Observe(at, y[weekOfMinutes+i%2000]); err != nil {
			b.Fatal(err)
		}
	}
	reportTarget(b, observeTarget)
}

// BenchmarkForecaster_Forecast measures a one-hour forecast with its
// capacity plan from a fitted ensemble, against a 1ms target.
func BenchmarkForecaster_Forecast(b *testing.B) {
	y := loadWeek(5)
	f, err := NewForecaster(Config{Step: time.Minute, MinPoints: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	for i, v := range y[:weekOfMinutes] {
		if err := f.Observe(t0.Add(time.Duration(i)*time.Minute), v); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Refit(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		fc, err := f.Forecast(60)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Capacity(fc, 100, 0.95); err != nil {
			b.Fatal(err)
		}
	}
	reportTarget(b, forecastTarget)
}
