package anomaly

import (
	"math"
	"time"
)

// zscoreDetector scores a point by its distance from the rolling mean of
// the previous Window points, in rolling standard deviations.
type zscoreDetector struct {
	cfg   Config
	win   *ring
	sum   float64
	sumSq float64
	seen  int
}

func newZScore(cfg Config) *zscoreDetector {
	return &zscoreDetector{cfg: cfg, win: newRing(cfg.Window)}
}

// Kind returns KindZScore.
func (d *zscoreDetector) Kind() Kind { return KindZScore }

// Observe scores v against the window, then adds it.
func (d *zscoreDetector) Observe(_ time.Time, v float64) Result {
	if !finite(v) {
		return Result{}
	}
	var score float64
	if d.seen >= d.cfg.WarmUp {
		n := float64(d.win.len())
		mean := d.sum / n
		variance := math.Max(d.sumSq/n-mean*mean, 0)
		score = zScore(deviation(v, mean, math.Sqrt(variance)))
	}
	d.add(v)
	return result(score, d.cfg.Threshold)
}

// add pushes v into the window and keeps the running sums. The sums are
// recomputed from the window once per Window points so that rounding errors
// from the subtractions cannot build up.
func (d *zscoreDetector) add(v float64) {
	d.seen++
	if old, ok := d.win.push(v); ok {
		d.sum -= old
		d.sumSq -= old * old
	}
	d.sum += v
	d.sumSq += v * v
	if d.seen%d.cfg.Window == 0 {
		d.sum, d.sumSq = 0, 0
		for i := range d.win.len() {
			x := d.win.at(i)
			d.sum += x
			d.sumSq += x * x
		}
	}
}
