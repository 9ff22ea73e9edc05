package predict

import (
	"math"

	"github.com/constellation-sched/constellation/telemetry"
)

// Naive forecasts every future step as the last value seen.
type Naive struct {
	last  float64
	sigma float64 // deviation of one-step changes at fit time
	ok    bool
}

// NewNaive returns an unfitted Naive model.
func NewNaive() *Naive { return &Naive{} }

// Name returns "naive".
func (m *Naive) Name() string { return ModelNaive }

// Fit records the last value of y and the spread of its one-step changes.
func (m *Naive) Fit(y []float64, _ int) error {
	if err := checkSeries(y, 1, ModelNaive); err != nil {
		return err
	}
	m.last, m.sigma, m.ok = y[len(y)-1], diffRMS(y, 1), true
	return nil
}

// Update records v as the last value.
func (m *Naive) Update(v float64) { m.last, m.ok = v, true }

// Next returns the one-step forecast: the last value.
func (m *Naive) Next() float64 { return m.last }

// Predict returns the last value for every step; the error grows like a
// random walk.
func (m *Naive) Predict(h int) Prediction { return constPrediction(h, m.last, m.sigma) }

// SeasonalNaive forecasts each future step as the value one period earlier.
// Without a period it behaves like Naive.
type SeasonalNaive struct {
	period int
	hist   *telemetry.Ring // last period values
	sigma  float64         // deviation of seasonal differences at fit time
}

// NewSeasonalNaive returns an unfitted SeasonalNaive model.
func NewSeasonalNaive() *SeasonalNaive { return &SeasonalNaive{} }

// Name returns "seasonal_naive".
func (m *SeasonalNaive) Name() string { return ModelSeasonalNaive }

// Fit keeps the last period of y. A period longer than y is dropped.
func (m *SeasonalNaive) Fit(y []float64, period int) error {
	if err := checkSeries(y, 1, ModelSeasonalNaive); err != nil {
		return err
	}
	m.period = max(usablePeriod(period, len(y), 2), 1)
	m.hist = telemetry.NewRing(m.period)
	for _, v := range y[len(y)-m.period:] {
		m.hist.Push(v)
	}
	m.sigma = diffRMS(y, m.period)
	return nil
}

// Update appends v to the last period.
func (m *SeasonalNaive) Update(v float64) {
	if m.hist == nil {
		m.period, m.hist = 1, telemetry.NewRing(1)
	}
	m.hist.Push(v)
}

// Next returns the one-step forecast: the value one period back.
func (m *SeasonalNaive) Next() float64 {
	if m.hist == nil || m.hist.Len() == 0 {
		return 0
	}
	return m.hist.At(m.hist.Len() - m.period)
}

// Predict repeats the last period; the error grows with each period crossed.
func (m *SeasonalNaive) Predict(h int) Prediction {
	p := Prediction{Mean: make([]float64, h), Std: make([]float64, h)}
	n := m.hist.Len()
	if n == 0 {
		return p
	}
	for i := range h {
		p.Mean[i] = m.hist.At(n - m.period + i%m.period)
		p.Std[i] = m.sigma * math.Sqrt(float64(i/m.period+1))
	}
	return p
}

// Period returns the period in use, 1 when there is none.
func (m *SeasonalNaive) Period() int { return m.period }

// diffRMS returns the root mean square of y[t]-y[t-lag], or 0 when y is too
// short.
func diffRMS(y []float64, lag int) float64 {
	if len(y) <= lag {
		return 0
	}
	var ss float64
	for t := lag; t < len(y); t++ {
		d := y[t] - y[t-lag]
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(y)-lag))
}
