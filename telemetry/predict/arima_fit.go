package predict

import (
	"math"

	"github.com/constellation-sched/constellation/telemetry"
)

// maxOrderFits caps the number of orders one stepwise search fits.
const maxOrderFits = 24

// kpssCritical is the 5% critical value of the KPSS level-stationarity
// statistic.
const kpssCritical = 0.463

// chooseDifferencing returns the base order: one seasonal difference when
// the series has a usable period, then one ordinary difference when the
// KPSS test rejects level stationarity of what is left.
func chooseDifferencing(y []float64, period int) ARIMAOrder {
	o := ARIMAOrder{S: period}
	if period > 0 {
		o.SD = 1
	}
	if kpss(difference(y, diffPoly(o))) > kpssCritical {
		o.D = 1
	}
	return o
}

// kpss returns the KPSS statistic of w for level stationarity, with the
// long-run variance estimated by a Bartlett kernel of the usual bandwidth.
func kpss(w []float64) float64 {
	n := len(w)
	if n < 10 {
		return 0
	}
	mu := mean(w)
	var partial, sumSq float64
	for _, v := range w {
		partial += v - mu
		sumSq += partial * partial
	}
	lags := int(4 * math.Pow(float64(n)/100, 0.25))
	lrv := 0.0
	for l := 0; l <= lags; l++ {
		var c float64
		for t := l; t < n; t++ {
			c += (w[t] - mu) * (w[t-l] - mu)
		}
		c /= float64(n)
		if l == 0 {
			lrv += c
			continue
		}
		lrv += 2 * (1 - float64(l)/float64(lags+1)) * c
	}
	if lrv <= 0 {
		return 0
	}
	return sumSq / (float64(n) * float64(n) * lrv)
}

// search runs a stepwise order search from base and returns the fitted
// model with the lowest AIC, or nil when no order could be fitted.
func (m *ARIMA) search(y []float64, base ARIMAOrder) *ARIMA {
	seen := map[ARIMAOrder]*ARIMA{}
	try := func(o ARIMAOrder) *ARIMA {
		if r, ok := seen[o]; ok {
			return r
		}
		if len(seen) >= maxOrderFits {
			return nil
		}
		r := m.fitOrder(y, o)
		seen[o] = r
		return r
	}
	with := func(p, q, sp, sq int) ARIMAOrder {
		o := base
		o.P, o.Q = p, q
		if o.S > 0 {
			o.SP, o.SQ = sp, sq
		}
		return o
	}

	// Start from the usual four candidates, then move to the best
	// neighbour while one improves the criterion.
	var best *ARIMA
	consider := func(r *ARIMA) bool {
		if r != nil && (best == nil || r.aic < best.aic-1e-9) {
			best = r
			return true
		}
		return false
	}
	b := m.bounds
	for _, o := range []ARIMAOrder{
		with(min(2, b.MaxP), min(2, b.MaxQ), min(1, b.MaxSP), min(1, b.MaxSQ)),
		with(0, 0, 0, 0), with(min(1, b.MaxP), 0, min(1, b.MaxSP), 0),
		with(0, min(1, b.MaxQ), 0, min(1, b.MaxSQ)),
	} {
		consider(try(o))
	}
	for moved := best != nil; moved; {
		moved = false
		o := best.order
		for _, d := range [][4]int{
			{1, 0, 0, 0}, {-1, 0, 0, 0}, {0, 1, 0, 0}, {0, -1, 0, 0},
			{1, 1, 0, 0}, {-1, -1, 0, 0}, {0, 0, 1, 0}, {0, 0, -1, 0},
			{0, 0, 0, 1}, {0, 0, 0, -1},
		} {
			p, q, sp, sq := o.P+d[0], o.Q+d[1], o.SP+d[2], o.SQ+d[3]
			if p < 0 || q < 0 || sp < 0 || sq < 0 || p > b.MaxP || q > b.MaxQ ||
				sp > b.MaxSP || sq > b.MaxSQ || (o.S == 0 && (sp > 0 || sq > 0)) {
				continue
			}
			if consider(try(with(p, q, sp, sq))) {
				moved = true
			}
		}
	}
	return best
}

// fitOrder estimates one order by CSS and returns the model with its state
// run through y, or nil when y is too short for it.
func (m *ARIMA) fitOrder(y []float64, o ARIMAOrder) *ARIMA {
	r := &ARIMA{bounds: m.bounds, order: o, diff: diffPoly(o)}
	w := difference(y, r.diff)
	maxAR := o.P + o.S*o.SP
	maxMA := o.Q + o.S*o.SQ
	k := o.P + o.Q + o.SP + o.SQ
	if len(w) < maxAR+maxMA+2*k+10 {
		return nil
	}
	if o.D+o.SD == 0 {
		r.c = mean(w)
	}
	for i := range w {
		w[i] -= r.c
	}

	// Estimate the coefficients by minimising the conditional sum of
	// squares over the unconstrained parametrisation.
	sse := func(x []float64) float64 {
		r.setCoef(o, x)
		return cssResiduals(w, r.ar, r.ma, maxAR, nil)
	}
	x := make([]float64, k)
	if k > 0 {
		x = minimize(sse, x, 200*k+200)
	}
	s := sse(x)
	nEff := float64(len(w) - maxAR)
	r.sigma = math.Sqrt(s / nEff)
	r.aic = nEff*math.Log(s/nEff+1e-300) + 2*float64(k+1)

	// Run the model through y so that its histories end where y ends.
	e := make([]float64, len(w))
	cssResiduals(w, r.ar, r.ma, maxAR, e)
	r.yh = ringOf(y, max(1, o.D+o.S*o.SD))
	r.wh = ringOf(w, max(1, maxAR))
	r.eh = ringOf(e, max(1, maxMA))
	return r
}

// setCoef decodes x into the coefficient vectors of order o and expands
// the AR and MA polynomials.
func (m *ARIMA) setCoef(o ARIMAOrder, x []float64) {
	c := arimaCoef{
		ar: pacfToCoef(x[:o.P]), ma: negated(pacfToCoef(x[o.P : o.P+o.Q])),
		sar: pacfToCoef(x[o.P+o.Q : o.P+o.Q+o.SP]),
		sma: negated(pacfToCoef(x[o.P+o.Q+o.SP:])),
	}
	m.coef = c
	m.ar = expand(c.ar, c.sar, o.S, -1)
	m.ma = expand(c.ma, c.sma, o.S, 1)
}

// cssResiduals returns the sum of squared one-step errors of the model on
// w, conditional on the first skip values; it stores the errors in e when e
// is not nil.
func cssResiduals(w []float64, ar, ma []lagCoef, skip int, e []float64) float64 {
	if e == nil {
		e = make([]float64, len(w))
	}
	var sse float64
	for t := skip; t < len(w); t++ {
		f := 0.0
		for _, a := range ar {
			f += a.coef * w[t-a.lag]
		}
		for _, b := range ma {
			if t >= b.lag {
				f += b.coef * e[t-b.lag]
			}
		}
		e[t] = w[t] - f
		sse += e[t] * e[t]
	}
	if notFinite(sse) {
		return math.Inf(1)
	}
	return sse
}

// expand multiplies the non-seasonal and seasonal polynomials. sign is -1
// for AR polynomials (1 - sum a B^i) and +1 for MA ones (1 + sum b B^i);
// the result holds prediction coefficients in either case.
func expand(ns, seas []float64, s int, sign float64) []lagCoef {
	var out []lagCoef
	for i, a := range ns {
		out = append(out, lagCoef{i + 1, a})
	}
	for j, b := range seas {
		out = append(out, lagCoef{s * (j + 1), b})
		for i, a := range ns {
			out = append(out, lagCoef{i + 1 + s*(j+1), sign * a * b})
		}
	}
	return out
}

// diffPoly returns the differencing operator of o as the terms after the
// leading one: w[t] = y[t] + sum coef*y[t-lag].
func diffPoly(o ARIMAOrder) []lagCoef {
	poly := map[int]float64{0: 1}
	mul := func(lag int) {
		next := map[int]float64{}
		for l, c := range poly {
			next[l] += c
			next[l+lag] -= c
		}
		poly = next
	}
	for range o.D {
		mul(1)
	}
	for range o.SD {
		mul(o.S)
	}
	var out []lagCoef
	for l, c := range poly {
		if l > 0 && c != 0 {
			out = append(out, lagCoef{l, c})
		}
	}
	return out
}

// difference applies the differencing terms to y.
func difference(y []float64, diff []lagCoef) []float64 {
	skip := 0
	for _, d := range diff {
		skip = max(skip, d.lag)
	}
	if skip >= len(y) {
		return nil
	}
	w := make([]float64, len(y)-skip)
	for t := skip; t < len(y); t++ {
		v := y[t]
		for _, d := range diff {
			v += d.coef * y[t-d.lag]
		}
		w[t-skip] = v
	}
	return w
}

// pacfToCoef maps unconstrained values to the coefficients of a stationary
// AR polynomial, through partial autocorrelations in (-1, 1) and the
// Durbin-Levinson recursion.
func pacfToCoef(x []float64) []float64 {
	a := make([]float64, len(x))
	tmp := make([]float64, len(x))
	for k, xv := range x {
		r := math.Tanh(xv)
		copy(tmp, a)
		for j := range k {
			a[j] = tmp[j] - r*tmp[k-1-j]
		}
		a[k] = r
	}
	return a
}

// negated returns xs with every sign flipped, in place.
func negated(xs []float64) []float64 {
	for i := range xs {
		xs[i] = -xs[i]
	}
	return xs
}

// ringOf returns a ring of capacity n holding the last n values of xs.
func ringOf(xs []float64, n int) *telemetry.Ring {
	r := telemetry.NewRing(n)
	for _, v := range xs[max(0, len(xs)-n):] {
		r.Push(v)
	}
	return r
}
