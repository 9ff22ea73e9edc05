package predict

import (
	"fmt"
	"math"

	"github.com/constellation-sched/constellation/telemetry"
)

// ARIMAOrder is the order of a seasonal ARIMA(P,D,Q)(SP,SD,SQ)[S] model.
type ARIMAOrder struct {
	P, D, Q    int // non-seasonal AR order, differences, MA order
	SP, SD, SQ int // seasonal AR order, differences, MA order
	S          int // seasonal period; 0 without a seasonal part
}

// String returns the order in the usual notation.
func (o ARIMAOrder) String() string {
	if o.S == 0 {
		return fmt.Sprintf("ARIMA(%d,%d,%d)", o.P, o.D, o.Q)
	}
	return fmt.Sprintf("ARIMA(%d,%d,%d)(%d,%d,%d)[%d]", o.P, o.D, o.Q, o.SP, o.SD, o.SQ, o.S)
}

// ARIMABounds limits the order search of an ARIMA model. Zero fields take
// the defaults: 2 for MaxP and MaxQ, 1 for MaxSP and MaxSQ, 4000 for
// MaxFitPoints (the most recent points the estimation uses). When Order is
// set, that order is fitted as given, without search; its S must be the
// period passed to Fit, or 0.
type ARIMABounds struct {
	MaxP, MaxQ, MaxSP, MaxSQ int
	MaxFitPoints             int
	Order                    *ARIMAOrder
}

// lagCoef is one term of a sparse lag polynomial.
type lagCoef struct {
	lag  int
	coef float64
}

// TODO: estimation is by conditional sum of squares only. Exact Gaussian
// maximum likelihood (a Kalman filter over the state space form) is not
// implemented; it would help short series with large MA terms.
//
// ARIMA is a seasonal ARIMA model fitted by conditional sum of squares
// (CSS) with gonum's Nelder-Mead, its AR and MA parts kept stationary and
// invertible through a partial-autocorrelation parametrisation. Fit chooses
// the differencing from the autocorrelation of the series, then the AR and
// MA orders within the bounds by AIC, with a stepwise search.
type ARIMA struct {
	bounds ARIMABounds
	order  ARIMAOrder
	coef   arimaCoef
	c      float64   // mean of the differenced series, when not differenced
	ar, ma []lagCoef // expanded AR and MA polynomials (prediction signs)
	diff   []lagCoef // differencing: w[t] = y[t] + sum diff.coef*y[t-lag]
	yh     *telemetry.Ring
	wh     *telemetry.Ring // differenced, demeaned values
	eh     *telemetry.Ring // one-step errors
	sigma  float64
	aic    float64
}

// arimaCoef holds the four coefficient vectors of a seasonal ARIMA.
type arimaCoef struct{ ar, ma, sar, sma []float64 }

// NewARIMA returns an unfitted ARIMA model searching within b.
func NewARIMA(b ARIMABounds) *ARIMA {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&b.MaxP, 2)
	def(&b.MaxQ, 2)
	def(&b.MaxSP, 1)
	def(&b.MaxSQ, 1)
	def(&b.MaxFitPoints, 4000)
	return &ARIMA{bounds: b}
}

// Name returns "arima".
func (m *ARIMA) Name() string { return ModelARIMA }

// Order returns the fitted order.
func (m *ARIMA) Order() ARIMAOrder { return m.order }

// Coefficients returns the fitted non-seasonal AR and MA coefficients, in
// the convention y[t] = sum ar[i]*y[t-i-1] + e[t] + sum ma[i]*e[t-i-1].
func (m *ARIMA) Coefficients() (ar, ma []float64) { return m.coef.ar, m.coef.ma }

// AIC returns the information criterion of the fitted model.
func (m *ARIMA) AIC() float64 { return m.aic }

// Fit chooses the order and estimates the coefficients on the most recent
// MaxFitPoints of y, then runs the model through them to set its state.
func (m *ARIMA) Fit(y []float64, period int) error {
	if err := checkSeries(y, 8, ModelARIMA); err != nil {
		return err
	}
	if len(y) > m.bounds.MaxFitPoints {
		y = y[len(y)-m.bounds.MaxFitPoints:]
	}
	var best *ARIMA
	if o := m.bounds.Order; o != nil {
		best = m.fitOrder(y, *o)
	} else {
		best = m.search(y, chooseDifferencing(y, usablePeriod(period, len(y), 4)))
	}
	if best == nil {
		return fmt.Errorf("fit %s on %d points: %w", ModelARIMA, len(y), ErrTooShort)
	}
	*m = *best
	return nil
}

// Update runs the model one step on v.
func (m *ARIMA) Update(v float64) {
	w := v
	for _, d := range m.diff {
		w += d.coef * m.yh.At(m.yh.Len()-d.lag)
	}
	m.yh.Push(v)
	w -= m.c
	e := w - m.predictOne()
	m.wh.Push(w)
	m.eh.Push(e)
}

// Next returns the one-step forecast.
func (m *ARIMA) Next() float64 {
	f := m.predictOne() + m.c
	for _, d := range m.diff {
		f -= d.coef * m.yh.At(m.yh.Len()-d.lag)
	}
	return f
}

// Predict iterates the model forward, undoes the differencing, and derives
// the deviation of each step from the psi weights of the full model.
func (m *ARIMA) Predict(h int) Prediction {
	p := Prediction{Mean: make([]float64, h), Std: make([]float64, h)}
	w, e, y := m.wh.Values(nil), m.eh.Values(nil), m.yh.Values(nil)
	for i := range h {
		var wf float64
		for _, a := range m.ar {
			wf += a.coef * w[len(w)-a.lag]
		}
		for _, b := range m.ma {
			wf += b.coef * e[len(e)-b.lag]
		}
		w, e = append(w, wf), append(e, 0)
		yf := wf + m.c
		for _, d := range m.diff {
			yf -= d.coef * y[len(y)-d.lag]
		}
		y = append(y, yf)
		p.Mean[i] = yf
	}
	psi := m.psiWeights(h)
	var acc float64
	for i := range h {
		acc += psi[i] * psi[i]
		p.Std[i] = m.sigma * math.Sqrt(acc)
	}
	return p
}

// predictOne returns the one-step forecast of the next differenced,
// demeaned value.
func (m *ARIMA) predictOne() float64 {
	var f float64
	for _, a := range m.ar {
		f += a.coef * m.wh.At(m.wh.Len()-a.lag)
	}
	for _, b := range m.ma {
		f += b.coef * m.eh.At(m.eh.Len()-b.lag)
	}
	return f
}

// psiWeights returns the first h weights of the model's infinite MA form,
// differencing included.
func (m *ARIMA) psiWeights(h int) []float64 {
	// full holds the AR operator times the differencing, as prediction
	// coefficients: y[t] = sum full[l]*y[t-l] + ...
	full := map[int]float64{}
	diffPoly := append([]lagCoef{{0, 1}}, m.diff...)
	arPoly := append([]lagCoef{{0, 1}}, negate(m.ar)...)
	for _, a := range arPoly {
		for _, d := range diffPoly {
			if l := a.lag + d.lag; l > 0 && l < h {
				full[l] -= a.coef * d.coef
			}
		}
	}
	ma := make([]float64, h)
	for _, b := range m.ma {
		if b.lag < h {
			ma[b.lag] = b.coef
		}
	}
	terms := make([]lagCoef, 0, len(full))
	for l, c := range full {
		if c != 0 {
			terms = append(terms, lagCoef{l, c})
		}
	}
	psi := make([]float64, h)
	psi[0] = 1
	for j := 1; j < h; j++ {
		psi[j] = ma[j]
		for _, t := range terms {
			if t.lag <= j {
				psi[j] += t.coef * psi[j-t.lag]
			}
		}
	}
	return psi
}

// negate returns a copy of terms with every coefficient negated.
func negate(terms []lagCoef) []lagCoef {
	out := make([]lagCoef, len(terms))
	for i, t := range terms {
		out[i] = lagCoef{t.lag, -t.coef}
	}
	return out
}
