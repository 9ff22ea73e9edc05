package anomaly

import (
	"math"
	"time"
)

// tukeyFence is Tukey's outlier fence in interquartile ranges: a point this
// far outside the box scores 0.5.
const tukeyFence = 1.5

// iqrDetector scores a point by how far it lies outside the interquartile
// box [Q1, Q3] of the previous Window points, in box widths.
type iqrDetector struct {
	cfg  Config
	win  *sortedWindow
	res  *resolution
	seen int
}

func newIQR(cfg Config) *iqrDetector {
	return &iqrDetector{cfg: cfg, win: newSortedWindow(cfg.Window), res: newResolution()}
}

// Kind returns KindIQR.
func (d *iqrDetector) Kind() Kind { return KindIQR }

// Observe scores v against the window, then adds it.
func (d *iqrDetector) Observe(_ time.Time, v float64) Result {
	if !finite(v) {
		return Result{}
	}
	var score float64
	if d.seen >= d.cfg.WarmUp {
		q1, q3 := d.win.quantile(0.25), d.win.quantile(0.75)
		outside := math.Max(q1-v, v-q3)
		if outside > 0 {
			box := q3 - q1
			if box == 0 {
				// A mostly constant window: fall back to the central 90%.
				box = w95(d.win)
			}
			// Never below the series' resolution and mean deviation.
			box = math.Max(box, spreadFloor(d.win, d.win.median(), d.res))
			k := math.Abs(deviation(outside, 0, box))
			score = k / (k + tukeyFence)
		}
	}
	d.seen++
	d.win.add(v)
	d.res.add(v)
	return result(score, d.cfg.Threshold)
}

// w95 returns the width of the central 90% of w.
func w95(w *sortedWindow) float64 {
	return w.quantile(0.95) - w.quantile(0.05)
}
