package predict

import (
	"fmt"
	"math"
	"slices"
)

// Season selects the seasonal form of a HoltWinters model.
type Season int

// Seasonal forms. SeasonAuto fits the additive form, and the multiplicative
// one when every value is positive, and keeps the one with the smaller
// one-step error.
const (
	SeasonAuto Season = iota
	SeasonNone
	SeasonAdditive
	SeasonMultiplicative
)

// String returns the form's name.
func (s Season) String() string {
	return [...]string{"auto", "none", "additive", "multiplicative"}[s]
}

// Bounds on the damping parameter. Phi near one is an undamped linear trend.
const (
	phiMin = 0.8
	phiMax = 0.995
)

// HWParams are the smoothing parameters of a fitted HoltWinters model, in
// component form: level weight Alpha, trend weight Beta, seasonal weight
// Gamma, trend damping Phi.
type HWParams struct {
	Alpha, Beta, Gamma, Phi float64
	Season                  Season
	Period                  int
}

// HoltWinters is exponential smoothing with a damped trend and additive or
// multiplicative seasonality. Fit picks the smoothing parameters that
// minimise the squared errors of forecasts one step and a quarter, a half
// and a whole cycle ahead (one step only without seasonality), with
// gonum's Nelder-Mead.
type HoltWinters struct {
	want   Season
	p      HWParams
	level  float64
	trend  float64
	season []float64  // seasonal state by phase; nil without seasonality
	pos    int        // phase of the next value
	sigma  float64    // one-step error deviation (relative when multiplicative)
	widen  []widening // deviation scale at the fit leads; nil for none
}

// NewHoltWinters returns an unfitted model of the given seasonal form.
func NewHoltWinters(s Season) *HoltWinters { return &HoltWinters{want: s} }

// Name returns the model's name.
func (m *HoltWinters) Name() string {
	switch m.want {
	case SeasonAdditive:
		return ModelHWAdditive
	case SeasonMultiplicative:
		return ModelHWMultiplicative
	}
	return ModelHoltWinters
}

// Params returns the fitted parameters.
func (m *HoltWinters) Params() HWParams { return m.p }

// Fit estimates the parameters on y. Seasonality needs at least three full
// periods; with fewer, the model has a damped trend only.
func (m *HoltWinters) Fit(y []float64, period int) error {
	if err := checkSeries(y, 3, m.Name()); err != nil {
		return err
	}
	period = usablePeriod(period, len(y), 3)
	forms := m.forms(y, period)
	if len(forms) == 0 {
		return fmt.Errorf("fit %s: multiplicative seasonality needs positive values: %w",
			m.Name(), ErrNonFinite)
	}
	best, bestSSE := HWParams{}, math.Inf(1)
	for _, s := range forms {
		p, sse := fitHW(y, period, s)
		if sse < bestSSE {
			best, bestSSE = p, sse
		}
	}
	m.p = best
	m.sigma = m.run(y, true)
	m.calibrate(y)
	return nil
}

// widening is how much wider than the model's variance formula the
// errors at one lead were in the fit.
type widening struct {
	lead  int
	scale float64
}

// calibrate compares the errors of the fitted model at its fit leads with
// the deviation its variance formula gives there, and keeps the ratio
// where the errors were wider: the formula holds for the model with its
// estimated parameters taken as true, and understates the error of a
// model that misses part of the series. It leaves the state at the end of
// y.
func (m *HoltWinters) calibrate(y []float64) {
	m.widen = nil
	leads := fitLeads(m.p.Period)
	if len(leads) < 2 {
		return
	}
	mse, rel := m.leadErrors(y, leads)
	sd := m.Predict(leads[len(leads)-1]).Std // the formula; widen is nil here
	for i, k := range leads {
		emp := math.Sqrt(mse[i])
		theory := sd[k-1]
		if m.p.Season == SeasonMultiplicative {
			emp, theory = math.Sqrt(rel[i]), m.sigma*math.Sqrt(m.varianceAt(k))
		}
		scale := 1.0
		if theory > 0 && emp > theory && !notFinite(emp) {
			scale = emp / theory
		}
		m.widen = append(m.widen, widening{lead: k, scale: scale})
	}
}

// widenAt returns the deviation scale at lead k (1 for one step ahead),
// interpolated between the fit leads and held past the last.
func (m *HoltWinters) widenAt(k int) float64 {
	if len(m.widen) == 0 {
		return 1
	}
	prev := widening{lead: 1, scale: m.widen[0].scale}
	for _, w := range m.widen {
		if k <= w.lead {
			if w.lead == prev.lead {
				return w.scale
			}
			f := float64(k-prev.lead) / float64(w.lead-prev.lead)
			return prev.scale + f*(w.scale-prev.scale)
		}
		prev = w
	}
	return prev.scale
}

// varianceAt returns the variance multiplier of the one-step deviation k
// steps ahead, as Predict computes it.
func (m *HoltWinters) varianceAt(k int) float64 {
	phiSum, phiPow, variance := 0.0, 1.0, 1.0
	for i := range k - 1 {
		phiPow *= m.p.Phi
		phiSum += phiPow
		c := m.p.Alpha * (1 + m.p.Beta*phiSum)
		if m.season != nil && (i+1)%len(m.season) == 0 {
			c += m.p.Gamma
		}
		variance += c * c
	}
	return variance
}

// Next returns the one-step forecast.
func (m *HoltWinters) Next() float64 {
	f := m.level + m.p.Phi*m.trend
	switch m.p.Season {
	case SeasonAdditive:
		f += m.season[m.pos]
	case SeasonMultiplicative:
		f *= m.season[m.pos]
	}
	return f
}

// Update runs one smoothing step on v.
func (m *HoltWinters) Update(v float64) { m.step(v) }

// Predict returns the damped-trend forecast with the seasonal state of each
// future phase. The deviation follows the additive error model's variance,
// scaled by the forecast for the multiplicative form, and widened where the
// fit's own errors at its leads were wider (see calibrate).
//
// TODO: the multiplicative form's deviation is the additive formula applied
// to relative errors; the exact variance of the multiplicative model (or a
// simulation) is not implemented, so its intervals are approximate.
func (m *HoltWinters) Predict(h int) Prediction {
	p := Prediction{Mean: make([]float64, h), Std: make([]float64, h)}
	phiSum, phiPow, variance := 0.0, 1.0, 1.0
	for i := range h {
		phiPow *= m.p.Phi
		phiSum += phiPow
		base := m.level + phiSum*m.trend
		sd := m.sigma * math.Sqrt(variance) * m.widenAt(i+1)
		switch m.p.Season {
		case SeasonAdditive:
			base += m.season[(m.pos+i)%len(m.season)]
		case SeasonMultiplicative:
			base *= m.season[(m.pos+i)%len(m.season)]
			sd *= math.Abs(base)
		}
		p.Mean[i], p.Std[i] = base, sd

		// c is the weight of one step's error on the state h steps on.
		c := m.p.Alpha * (1 + m.p.Beta*phiSum)
		if m.season != nil && (i+1)%len(m.season) == 0 {
			c += m.p.Gamma
		}
		variance += c * c
	}
	return p
}

// forms returns the seasonal forms to try on y.
func (m *HoltWinters) forms(y []float64, period int) []Season {
	if period == 0 {
		return []Season{SeasonNone}
	}
	positive := !slices.ContainsFunc(y, func(v float64) bool { return v <= 0 })
	switch m.want {
	case SeasonAdditive:
		return []Season{SeasonAdditive}
	case SeasonMultiplicative:
		if !positive {
			return nil
		}
		return []Season{SeasonMultiplicative}
	}
	if positive {
		return []Season{SeasonAdditive, SeasonMultiplicative}
	}
	return []Season{SeasonAdditive}
}

// fitHW fits the parameters of form s and returns them with their error
// (see fitError).
func fitHW(y []float64, period int, s Season) (HWParams, float64) {
	m := &HoltWinters{}
	leads := fitLeads(period)
	// Gamma is kept below 1-Alpha, the usual admissible region.
	decode := func(x []float64) HWParams {
		a := logistic(x[0], 1e-4, 1)
		return HWParams{
			Alpha: a, Beta: logistic(x[1], 0, 1),
			Gamma: logistic(x[2], 0, 1) * (1 - a), Phi: logistic(x[3], phiMin, phiMax),
			Season: s, Period: period,
		}
	}
	sse := func(x []float64) float64 {
		m.p = decode(x)
		return m.fitError(y, leads)
	}
	x0 := []float64{logit(0.3, 1e-4, 1), logit(0.05, 0, 1), logit(0.15, 0, 1), logit(0.98, phiMin, phiMax)}
	x := minimize(sse, x0, 600)
	return decode(x), sse(x)
}

// fitLeads returns the forecast leads whose errors a fit minimises: one
// step ahead, and with a period also a quarter, a half and a whole cycle
// ahead. One-step errors alone favour a level that chases every value
// (Alpha near one) and leave the seasonal state frozen at its start, which
// forecasts a cycle ahead poorly on smooth series such as hourly load; the
// longer leads make the fit weigh how well the seasonal state carries.
func fitLeads(period int) []int {
	if period < 2 {
		return []int{1}
	}
	leads := []int{1}
	for _, l := range []int{period / 4, period / 2, period} {
		if l > leads[len(leads)-1] {
			leads = append(leads, l)
		}
	}
	return leads
}

// fitError initialises the state from the start of y, smooths through all
// of it and returns the sum over leads of the mean squared error of the
// forecasts that many steps ahead. The first cycle only settles the state.
func (m *HoltWinters) fitError(y []float64, leads []int) float64 {
	if len(leads) == 1 && leads[0] == 1 {
		return m.run(y, false)
	}
	mse, _ := m.leadErrors(y, leads)
	var total float64
	for _, v := range mse {
		total += v
	}
	return total
}

// leadErrors initialises the state from the start of y, smooths through
// all of it and returns, for each lead, the mean squared error of the
// forecasts that many steps ahead, absolute and relative to the forecast.
// The first cycle only settles the state. A non-finite error makes every
// mean infinite.
func (m *HoltWinters) leadErrors(y []float64, leads []int) (mse, rel []float64) {
	m.init(y)
	type lead struct {
		k      int
		phiSum float64   // damped trend multiplier k steps ahead
		ring   []float64 // forecasts waiting for their value, by time mod k
		slot   int       // t mod k
		phase  int       // seasonal phase k-1 steps on from the next value
		sse    float64
		rel    float64
		n      int
	}
	mse, rel = make([]float64, len(leads)), make([]float64, len(leads))
	ls := make([]lead, len(leads))
	for i, k := range leads {
		phiSum, pw := 0.0, 1.0
		for range k {
			pw *= m.p.Phi
			phiSum += pw
		}
		ls[i] = lead{k: k, phiSum: phiSum, ring: make([]float64, k)}
		if m.season != nil {
			ls[i].phase = (m.pos + k - 1) % len(m.season)
		}
	}
	for t, v := range y {
		for i := range ls {
			l := &ls[i]
			f := m.level + l.phiSum*m.trend
			switch m.p.Season {
			case SeasonAdditive:
				f += m.season[l.phase]
			case SeasonMultiplicative:
				f *= m.season[l.phase]
			}
			if l.phase++; l.phase == len(m.season) {
				l.phase = 0
			}
			// The forecast of y[t+k-1] goes in; that of y[t], made k-1
			// steps earlier, comes out (the same slot when k is one).
			in := l.slot - 1
			if in < 0 {
				in = l.k - 1
			}
			l.ring[in] = f
			if t >= l.k-1+m.p.Period {
				e := v - l.ring[l.slot]
				l.sse += e * e
				if f := l.ring[l.slot]; f != 0 {
					l.rel += (e / f) * (e / f)
				}
				l.n++
			}
			if l.slot++; l.slot == l.k {
				l.slot = 0
			}
		}
		if e, _ := m.step(v); notFinite(e) {
			for i := range mse {
				mse[i], rel[i] = math.Inf(1), math.Inf(1)
			}
			return mse, rel
		}
	}
	for i, l := range ls {
		if l.n > 0 {
			mse[i], rel[i] = l.sse/float64(l.n), l.rel/float64(l.n)
		}
	}
	return mse, rel
}

// run initialises the state from the start of y and smooths through all of
// it. It returns the sum of squared one-step errors, or, when deviation is
// set, the deviation of the one-step errors (relative when multiplicative).
func (m *HoltWinters) run(y []float64, deviation bool) float64 {
	m.init(y)
	var sse, rel float64
	for t, v := range y {
		e, f := m.step(v)
		if notFinite(e) {
			return math.Inf(1)
		}
		if t < m.p.Period {
			continue // the first cycle only settles the state
		}
		sse += e * e
		if f != 0 {
			rel += (e / f) * (e / f)
		}
	}
	if !deviation {
		return sse
	}
	if m.p.Season == SeasonMultiplicative {
		return math.Sqrt(rel / float64(len(y)-m.p.Period))
	}
	return math.Sqrt(sse / float64(len(y)-m.p.Period))
}

// init sets the level, trend and seasonal state from the first few periods
// (or the first three values without seasonality).
func (m *HoltWinters) init(y []float64) {
	m.pos, m.season = 0, nil
	p := m.p.Period
	if m.p.Season == SeasonNone || p == 0 {
		m.p.Season, m.p.Period, m.p.Gamma = SeasonNone, 0, 0
		m.level, m.trend = y[0], (y[min(len(y)-1, 2)]-y[0])/2
		return
	}
	// Average the first few cycles, detrended, for the seasonal start.
	k := min(len(y)/p, 4)
	first := mean(y[:p])
	m.trend = (mean(y[(k-1)*p:k*p]) - first) / float64(max((k-1)*p, 1))
	m.season = make([]float64, p)
	for c := range k {
		for j := range p {
			t := c*p + j
			base := first + m.trend*(float64(t)-float64(p-1)/2)
			if m.p.Season == SeasonMultiplicative {
				m.season[j] += y[t] / base / float64(k)
			} else {
				m.season[j] += (y[t] - base) / float64(k)
			}
		}
	}
	// The state is that of the step before the first value.
	m.level = first - m.trend*(float64(p-1)/2+1)
}

// step smooths in v and returns its one-step error and forecast.
func (m *HoltWinters) step(v float64) (e, f float64) {
	a, b, g, phi := m.p.Alpha, m.p.Beta, m.p.Gamma, m.p.Phi
	prev := m.level
	damped := phi * m.trend
	switch m.p.Season {
	case SeasonAdditive:
		s := m.season[m.pos]
		f = prev + damped + s
		m.level = a*(v-s) + (1-a)*(prev+damped)
		m.season[m.pos] = g*(v-prev-damped) + (1-g)*s
	case SeasonMultiplicative:
		s := m.season[m.pos]
		f = (prev + damped) * s
		m.level = a*v/s + (1-a)*(prev+damped)
		if m.level <= 0 || notFinite(m.level) {
			m.level = math.Max(prev, 1e-9)
		}
		m.season[m.pos] = math.Min(math.Max(g*v/math.Max(prev+damped, 1e-9)+(1-g)*s, 1e-3), 1e3)
	default:
		f = prev + damped
		m.level = a*v + (1-a)*(prev+damped)
	}
	m.trend = b*(m.level-prev) + (1-b)*damped
	if m.season != nil {
		m.pos = (m.pos + 1) % len(m.season)
	}
	return v - f, f
}

// mean returns the average of xs.
func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
