package anomaly

import (
	"math"
	"time"
)

// Settings of the combined detector that are part of its design rather
// than of a deployment; they are the same for every series.
const (
	// shortSpan is the number of recent points averaged when the combined
	// detector compares recent surprise with long-run surprise.
	shortSpan = 10
	// localSpan is the number of points whose spread the flatline and
	// oscillation features measure.
	localSpan = 12
	// holdoffDamping multiplies the score during a hold-off.
	holdoffDamping = 0.5
)

// combinedDetector fuses several views of a point into one raw surprise
// and turns the surprise into a likelihood, in the manner of Numenta's
// anomaly likelihood:
//
//  1. features: distance from the rolling median (MAD), residual from a
//     fast EWMA, size of the step from the previous point, collapse of the
//     local spread (flatline), growth of the local spread (oscillation),
//     and the isolation forest's score of the recent shingle;
//  2. raw surprise: the largest feature score;
//  3. likelihood: how unusual the mean surprise of the last shortSpan
//     points is against the distribution of surprise over the window;
//  4. hold-off: after an alert the score is damped for Holdoff points, so
//     that one event raises one alert rather than a burst.
type combinedDetector struct {
	cfg    Config
	mad    *sortedWindow
	ewma   *ewmaDetector
	forest *iforestDetector
	local  *ring
	prev   float64
	diffEW float64 // smoothed absolute step
	spread *logSpread
	raw    *ring // raw surprise over the window, for the likelihood
	rawSum float64
	rawSq  float64
	recent *ring // raw surprise over the last shortSpan points
	recSum float64
	hold   int
	seen   int
}

func newCombined(cfg Config) *combinedDetector {
	inner := cfg
	inner.WarmUp = 2
	return &combinedDetector{
		cfg:    cfg,
		mad:    newSortedWindow(cfg.Window),
		ewma:   newEWMA(inner),
		forest: newIsolationForest(inner),
		local:  newRing(localSpan),
		spread: newLogSpread(cfg.Alpha / 10),
		raw:    newRing(cfg.Window),
		recent: newRing(shortSpan),
	}
}

// Kind returns KindCombined.
func (d *combinedDetector) Kind() Kind { return KindCombined }

// Observe scores v, then folds it into every feature's state.
func (d *combinedDetector) Observe(t time.Time, v float64) Result {
	if !finite(v) {
		return Result{}
	}
	surprise := d.surprise(t, v)
	d.seen++
	if d.seen <= d.cfg.WarmUp {
		d.pushRaw(surprise)
		return result(0, d.cfg.Threshold)
	}
	score := d.likelihood(surprise)
	d.pushRaw(surprise)
	if d.hold > 0 {
		d.hold--
		score *= holdoffDamping
	} else if score >= d.cfg.Threshold && d.cfg.Holdoff > 0 {
		d.hold = d.cfg.Holdoff
	}
	return result(score, d.cfg.Threshold)
}

// surprise returns the raw surprise of v in [0, 1] and updates the
// feature states.
func (d *combinedDetector) surprise(t time.Time, v float64) float64 {
	var s float64

	// Level: distance from the rolling median.
	if d.mad.len() >= 2 {
		m := d.mad.median()
		s = math.Max(s, zScore(deviation(v, m, madScale*d.mad.mad(m))))
	}
	d.mad.add(v)

	// Residual from the fast EWMA.
	s = math.Max(s, d.ewma.Observe(t, v).Score)

	// Step from the previous point.
	if d.seen > 0 {
		step := math.Abs(v - d.prev)
		if d.seen > 1 {
			s = math.Max(s, zScore(deviation(step, 0, 1.25*d.diffEW)))
		}
		d.diffEW += d.cfg.Alpha * (step - d.diffEW)
	} else {
		d.diffEW = 0
	}
	d.prev = v

	// Local spread: flatline (collapse) and oscillation (growth).
	d.local.push(v)
	if d.local.full() {
		s = math.Max(s, d.spread.observe(localStd(d.local)))
	}

	// Shape: the isolation forest over the recent shingle.
	s = math.Max(s, d.forest.Observe(t, v).Score)
	return s
}

// likelihood compares the mean surprise of the last shortSpan points,
// including this one, with the window's distribution of surprise, and
// returns 1 minus the normal tail probability on a log scale.
func (d *combinedDetector) likelihood(surprise float64) float64 {
	n := float64(d.raw.len())
	mean := d.rawSum / n
	std := math.Sqrt(math.Max(d.rawSq/n-mean*mean, 0))
	std = math.Max(std, 1e-4)
	short := (d.recSum + surprise) / float64(d.recent.len()+1)
	if d.recent.full() {
		short = (d.recSum - d.recent.at(0) + surprise) / float64(shortSpan)
	}
	tail := 0.5 * math.Erfc((short-mean)/std/math.Sqrt2)
	// Map tail probabilities 1e-10..1 onto scores 1..0.
	return clamp01(math.Log(tail+1e-10) / math.Log(1e-10))
}

// pushRaw records a surprise in the long and short histories.
func (d *combinedDetector) pushRaw(s float64) {
	if old, ok := d.raw.push(s); ok {
		d.rawSum -= old
		d.rawSq -= old * old
	}
	d.rawSum += s
	d.rawSq += s * s
	if old, ok := d.recent.push(s); ok {
		d.recSum -= old
	}
	d.recSum += s
}

// localStd returns the standard deviation of the values in r.
func localStd(r *ring) float64 {
	var sum, sq float64
	for i := range r.len() {
		x := r.at(i)
		sum += x
		sq += x * x
	}
	n := float64(r.len())
	mean := sum / n
	return math.Sqrt(math.Max(sq/n-mean*mean, 0))
}
