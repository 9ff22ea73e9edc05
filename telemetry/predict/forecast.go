package predict

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// ErrBadQuantile is returned by Capacity when the quantile is not strictly
// between 0 and 1.
var ErrBadQuantile = errors.New("quantile must be in (0, 1)")

// ErrBadTarget is returned by Capacity when the per-instance target is not
// a positive finite number.
var ErrBadTarget = errors.New("per-instance target must be positive")

// Forecast is a forecast of the steps after the last observed one.
type Forecast struct {
	Start  time.Time     // time of the first forecast step
	Step   time.Duration // time between steps
	Mean   []float64     // expected value per step
	Std    []float64     // deviation of the forecast error per step
	Model  string        // model that produced it
	Period int           // seasonal period in use, in steps; 0 for none
}

// Quantile returns the q-quantile of each step, assuming normal errors.
//
// TODO: skewed series (request counts near zero, spiky loads) would be
// better served by empirical quantiles of past forecast errors than by the
// normal assumption.
func (f Forecast) Quantile(q float64) []float64 {
	z := distuv.UnitNormal.Quantile(q)
	out := make([]float64, len(f.Mean))
	for i, m := range f.Mean {
		out[i] = m + z*f.Std[i]
	}
	return out
}

// Interval returns the central prediction interval holding a share level of
// outcomes (0.8 for an 80% interval).
func (f Forecast) Interval(level float64) (lo, hi []float64) {
	return f.Quantile((1 - level) / 2), f.Quantile((1 + level) / 2)
}

// Capacity returns, for each forecast step, the number of instances needed
// to serve the q-quantile of the forecast load when one instance serves
// perInstance. A step whose quantile is at or below zero needs none.
func Capacity(fc Forecast, perInstance, quantile float64) ([]int, error) {
	if !(quantile > 0 && quantile < 1) {
		return nil, fmt.Errorf("capacity at quantile %v: %w", quantile, ErrBadQuantile)
	}
	if !(perInstance > 0) || math.IsInf(perInstance, 1) {
		return nil, fmt.Errorf("capacity with %v per instance: %w", perInstance, ErrBadTarget)
	}
	q := fc.Quantile(quantile)
	out := make([]int, len(q))
	for i, v := range q {
		if v > 0 && !math.IsNaN(v) {
			out[i] = int(math.Ceil(v/perInstance - 1e-9))
		}
	}
	return out, nil
}

// PeakCapacity returns the largest count Capacity gives over the forecast,
// the number to scale to now so that the whole horizon is covered.
func PeakCapacity(fc Forecast, perInstance, quantile float64) (int, error) {
	counts, err := Capacity(fc, perInstance, quantile)
	if err != nil {
		return 0, err
	}
	peak := 0
	for _, c := range counts {
		peak = max(peak, c)
	}
	return peak, nil
}
