package anomaly

import "time"

// madScale turns a median absolute deviation into a standard deviation for
// normally distributed data.
const madScale = 1.4826

// madDetector scores a point by its distance from the rolling median of the
// previous Window points, in scaled median absolute deviations. It shrugs
// off outliers in its own window, unlike the z-score.
//
// TODO: on series that sit on a few repeated values the spread is 0 even
// after the fallback, every move then scores 1.0, and on NAB no threshold
// beats the null detector; a floor on the spread tied to the series'
// resolution would fix the ties. The IQR detector shares the problem.
type madDetector struct {
	cfg  Config
	win  *sortedWindow
	seen int
}

func newMAD(cfg Config) *madDetector {
	return &madDetector{cfg: cfg, win: newSortedWindow(cfg.Window)}
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
		score = zScore(deviation(v, m, robustSpread(d.win, m)))
	}
	d.seen++
	d.win.add(v)
	return result(score, d.cfg.Threshold)
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
