package anomaly

import (
	"math"
	"time"
)

// madScale turns a median absolute deviation into a standard deviation for
// normally distributed data.
const madScale = 1.4826

// madDetector scores a point by its distance from the rolling median of the
// previous Window points, in scaled median absolute deviations. It shrugs
// off outliers in its own window, unlike the z-score.
//
// The spread never falls below spreadFloor, so that a series that sits on
// a few repeated values (MAD 0) does not score every move 1.
type madDetector struct {
	cfg  Config
	win  *sortedWindow
	res  *resolution
	seen int
}

func newMAD(cfg Config) *madDetector {
	return &madDetector{cfg: cfg, win: newSortedWindow(cfg.Window), res: newResolution()}
}

// Kind returns KindMAD.
func (d *madDetector) Kind() Kind { return KindMAD }

// Observe scores v against the window, then adds it.
func (d *madDetector) Observe(_ time.Time, v float64) Result {
	if !finite(v) {
		return Result{}
	}
	var score float64
	if d.seen >= d.cfg.WarmUp {
		m := d.win.median()
		spread := math.Max(robustSpread(d.win, m), spreadFloor(d.win, m, d.res))
		score = zScore(deviation(v, m, spread))
	}
	d.seen++
	d.win.add(v)
	d.res.add(v)
	return result(score, d.cfg.Threshold)
}

// meanAbsScale turns a mean absolute deviation into a standard deviation
// for normally distributed data (the square root of pi/2).
const meanAbsScale = 1.2533

// spreadFloor is the least spread the robust detectors measure against:
// the larger of the series' resolution (its smallest non-zero step) and
// the window's scaled mean absolute deviation from m. Where most of the
// window sits on one value the median absolute deviation and the
// interquartile range are 0, but the mean absolute deviation still grows
// with every move the window holds, so a move as large as the window's
// usual moves scores moderately rather than 1.
func spreadFloor(w *sortedWindow, m float64, r *resolution) float64 {
	return math.Max(r.floor(), meanAbsScale*w.meanAbsDev(m))
}

// robustSpread returns the scaled MAD of w around its median m or, where
// more than half the window holds one value (MAD 0), the spread of its
// central 80%, so that a mostly constant series does not flag every
// ordinary move.
func robustSpread(w *sortedWindow, m float64) float64 {
	if s := madScale * w.mad(m); s > 0 {
		return s
	}
	return (w.quantile(0.9) - w.quantile(0.1)) / 2.563
}
