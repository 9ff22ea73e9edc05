package predict

import (
	"math"

	"gonum.org/v1/gonum/stat"
)

// Linear is a linear regression on time, y = a + b*t + s(t mod period) + e,
// where s is a seasonal profile (absent without a period) and the residual e
// is modelled as AR(1), so that a forecast starts from the last observed
// residual and decays towards the regression line.
type Linear struct {
	a, b    float64   // intercept and slope
	profile []float64 // seasonal offsets by phase; nil without a period
	rho     float64   // lag-one autocorrelation of residuals
	sigma   float64   // deviation of the AR(1) innovations
	t       int       // time index of the last value seen
	resid   float64   // residual of the last value seen
}

// NewLinear returns an unfitted Linear model.
func NewLinear() *Linear { return &Linear{} }

// Name returns "linear".
func (m *Linear) Name() string { return ModelLinear }

// Fit estimates the trend by least squares, then the seasonal profile from
// the detrended values, then the trend again on the deseasonalised values.
func (m *Linear) Fit(y []float64, period int) error {
	if err := checkSeries(y, 2, ModelLinear); err != nil {
		return err
	}
	n := len(y)
	ts := make([]float64, n)
	for i := range ts {
		ts[i] = float64(i)
	}
	m.a, m.b = stat.LinearRegression(ts, y, nil, false)
	m.profile = nil
	if p := usablePeriod(period, n, 2); p > 0 {
		m.profile = seasonalProfile(y, p, func(t int) float64 { return m.a + m.b*float64(t) })
		adj := make([]float64, n)
		for t, v := range y {
			adj[t] = v - m.profile[t%p]
		}
		m.a, m.b = stat.LinearRegression(ts, adj, nil, false)
	}
	m.fitResiduals(y, period)
	return nil
}

// Update moves the time index on and records the residual of v.
func (m *Linear) Update(v float64) {
	m.t++
	m.resid = v - m.line(m.t)
}

// Next returns the one-step forecast.
func (m *Linear) Next() float64 { return m.line(m.t+1) + m.rho*m.resid }

// Predict returns the regression line plus the decaying last residual.
func (m *Linear) Predict(h int) Prediction {
	p := Prediction{Mean: make([]float64, h), Std: make([]float64, h)}
	decay, variance := 1.0, 0.0
	for i := range h {
		variance += decay * decay
		decay *= m.rho
		p.Mean[i] = m.line(m.t+i+1) + decay*m.resid
		p.Std[i] = m.sigma * math.Sqrt(variance)
	}
	return p
}

// line returns the regression value at time index t.
func (m *Linear) line(t int) float64 {
	v := m.a + m.b*float64(t)
	if m.profile != nil {
		v += m.profile[t%len(m.profile)]
	}
	return v
}

// fitResiduals estimates the AR(1) model of the residuals and leaves the
// state at the end of y.
func (m *Linear) fitResiduals(y []float64, period int) {
	n := len(y)
	e := make([]float64, n)
	for t, v := range y {
		e[t] = v - m.line(t)
	}
	var num, den float64
	for t := 1; t < n; t++ {
		num += e[t] * e[t-1]
		den += e[t-1] * e[t-1]
	}
	m.rho = 0
	if den > 0 {
		m.rho = math.Max(0, math.Min(num/den, 0.9999))
	}

	// A level shift leaves residuals that persist far longer than their
	// lag-one correlation implies; read the persistence off a long lag too,
	// so that forecasts stay anchored to the current level.
	if l := max(period, 12); l < n/2 {
		if r := lagAutocorr(e, l); r > 0 {
			m.rho = math.Max(m.rho, math.Min(math.Pow(r, 1/float64(l)), 0.9999))
		}
	}
	var ss float64
	for t := 1; t < n; t++ {
		d := e[t] - m.rho*e[t-1]
		ss += d * d
	}
	m.sigma = math.Sqrt(ss / float64(n-1))
	m.t, m.resid = n-1, e[n-1]
}

// seasonalProfile returns the mean of y minus base by phase of period p,
// centred to sum to zero.
func seasonalProfile(y []float64, p int, base func(t int) float64) []float64 {
	sum := make([]float64, p)
	cnt := make([]float64, p)
	for t, v := range y {
		sum[t%p] += v - base(t)
		cnt[t%p]++
	}
	var mean float64
	for k := range sum {
		sum[k] /= cnt[k]
		mean += sum[k] / float64(p)
	}
	for k := range sum {
		sum[k] -= mean
	}
	return sum
}

// lagAutocorr returns the autocorrelation of e at lag l.
func lagAutocorr(e []float64, l int) float64 {
	mu := mean(e)
	var num, den float64
	for t, v := range e {
		d := v - mu
		den += d * d
		if t >= l {
			num += d * (e[t-l] - mu)
		}
	}
	if den == 0 {
		return 0
	}
	return num / den
}
