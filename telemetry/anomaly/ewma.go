package anomaly

import (
	"math"
	"time"
)

// ewmaDetector scores a point by its residual from an exponentially
// weighted moving average, in exponentially weighted standard deviations of
// past residuals. Its memory is about 1/Alpha points, so it follows slow
// drifts that a long window would call anomalous.
type ewmaDetector struct {
	cfg   Config
	mean  float64 // smoothed level
	resSq float64 // smoothed squared residual
	seen  int
}

func newEWMA(cfg Config) *ewmaDetector {
	return &ewmaDetector{cfg: cfg}
}

// Kind returns KindEWMA.
func (d *ewmaDetector) Kind() Kind { return KindEWMA }

// Observe scores v against the smoothed level, then updates it.
func (d *ewmaDetector) Observe(_ time.Time, v float64) Result {
	if !finite(v) {
		return Result{}
	}
	if d.seen == 0 {
		d.mean = v
		d.seen++
		return result(0, d.cfg.Threshold)
	}
	res := v - d.mean
	var score float64
	if d.seen >= d.cfg.WarmUp {
		score = zScore(deviation(res, 0, math.Sqrt(d.resSq)))
	}
	a := d.cfg.Alpha
	d.resSq = (1-a)*d.resSq + a*res*res
	d.mean += a * res
	d.seen++
	return result(score, d.cfg.Threshold)
}
