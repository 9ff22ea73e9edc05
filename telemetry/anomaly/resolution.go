package anomaly

import "math"

// resolution tracks the smallest non-zero step between consecutive values
// of a series: the finest change the series has shown, which for a series
// that sits on a few repeated values is its quantisation. The robust
// detectors use it as a floor under their spread, so that a window whose
// median absolute deviation or interquartile range is 0 does not turn every
// move, however small, into a full-score outlier.
type resolution struct {
	prev float64
	has  bool
	step float64 // smallest non-zero |v - prev| so far, +Inf before one
}

func newResolution() *resolution {
	return &resolution{step: math.Inf(1)}
}

// add folds v into the tracker.
func (r *resolution) add(v float64) {
	if r.has {
		if d := math.Abs(v - r.prev); d > 0 && d < r.step {
			r.step = d
		}
	}
	r.prev, r.has = v, true
}

// floor returns the smallest step seen, or 0 before the series has moved.
func (r *resolution) floor() float64 {
	if math.IsInf(r.step, 1) {
		return 0
	}
	return r.step
}
