package predict

import "math"

// Standing tuning.
const (
	// standingFast is the weight the fast relative error keeps at each
	// step: it forgets in about ten steps, so that a member that stops
	// tracking the series loses its weight within a few steps.
	standingFast = 0.9
	// standingSlow is the weight the slow relative error keeps at each
	// step: the member's usual standing, over about a thousand steps.
	standingSlow = 0.999
	// standingSlack is how far a member's fast standing may fall behind its
	// usual one, relative to the member that fares best, before its
	// scores are inflated; it keeps ordinary noise from moving weights.
	standingSlack = 1.25
)

// standing follows how each member's error compares with the other
// members' on the same forecast steps. Every value scores the forecasts
// that predicted it, at whatever lead they were issued, and each member's
// error on such a step is taken relative to the members' mean error on it,
// so that a step every member missed (the jump of a level shift) counts
// alike for all, and a step where one member alone went astray (it reverts
// to its old level while the others follow the new one) counts against
// that member at once. A fast and a slow average of these relative errors
// give each member's recent and usual standing; a member whose recent
// standing has fallen behind its usual one, more than the others', has its
// matured scores inflated by the ratio (see factors). This is the
// ensemble's early warning: matured scores only show a level shift once
// forecasts issued after it have reached their full horizon.
type standing struct {
	fast, slow []ewma    // relative error by member
	sum        []float64 // relative errors summed over the current step
	pairs      int       // forecast steps summed in sum
}

// ewma is an exponentially weighted mean that, until it has seen enough
// values to forget, is the plain mean of those it has seen.
type ewma struct{ num, den float64 }

// add folds x in, the older values keeping weight decay.
func (e *ewma) add(x, decay float64) {
	e.num = decay*e.num + x
	e.den = decay*e.den + 1
}

// value returns the mean, NaN before the first value.
func (e ewma) value() float64 {
	if e.den == 0 {
		return math.NaN()
	}
	return e.num / e.den
}

// newStanding returns the standing of n members, with no history.
func newStanding(n int) *standing {
	return &standing{fast: make([]ewma, n), slow: make([]ewma, n), sum: make([]float64, n)}
}

// add scores one forecast step: errs holds each member's absolute error
// on it, NaN for a member without a forecast. Steps that fewer than two
// members forecast, or that all forecast exactly, tell nothing and are
// skipped.
func (s *standing) add(errs []float64) {
	var total float64
	n := 0
	for _, e := range errs {
		if !math.IsNaN(e) {
			total += e
			n++
		}
	}
	if n < 2 || total <= 0 {
		return
	}
	mean := total / float64(n)
	for i, e := range errs {
		if !math.IsNaN(e) {
			s.sum[i] += e / mean
		}
	}
	s.pairs++
}

// close ends a step: the mean relative error of the step's scored
// forecasts goes into the fast and slow averages of every member that had
// one in each of them.
func (s *standing) close(has []bool) {
	if s.pairs == 0 {
		return
	}
	for i := range s.sum {
		if !has[i] {
			s.sum[i] = 0
			continue
		}
		r := s.sum[i] / float64(s.pairs)
		s.sum[i] = 0
		s.fast[i].add(r, standingFast)
		s.slow[i].add(r, standingSlow)
	}
	s.pairs = 0
}

// factors writes into dst (one per member) the factor each member's
// scores are multiplied by: 1 for members whose recent standing keeps up
// with their usual one, and for the others the ratio of their slip to the
// smallest slip among members, beyond standingSlack.
func (s *standing) factors(dst []float64, has []bool) {
	best := math.Inf(1)
	for i := range dst {
		dst[i] = math.NaN()
		if slow := s.slow[i].value(); has[i] && slow > 0 {
			dst[i] = s.fast[i].value() / slow
			best = math.Min(best, dst[i])
		}
	}
	for i, r := range dst {
		dst[i] = 1
		if !math.IsNaN(r) && best > 0 && !math.IsInf(best, 1) {
			dst[i] = math.Max(1, r/best/standingSlack)
		}
	}
}
