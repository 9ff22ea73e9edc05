package anomaly

import (
	"math"
	"time"
)

const (
	// localSpan is the number of points whose spread the flatline and
	// oscillation feature measures.
	localSpan = 12
	// holdoffDamping multiplies the score during a hold-off.
	holdoffDamping = 0.5
)

// combinedDetector fuses two views of a point that see different
// anomalies, and damps the alerts that follow an alert:
//
//  1. shape: the isolation forest's score of the recent shingle, which
//     catches spikes, drops, level shifts and changes of pattern;
//  2. local spread: how far the logarithm of the spread of the last
//     localSpan points lies from its long-run mean, which catches a signal
//     that stops varying (flatline) or starts swinging (oscillation), both
//     of which a shape model trained on the window can miss;
//  3. the raw score is the larger of the two;
//  4. hold-off: after an alert the score is damped for Holdoff points, so
//     that one event raises one alert rather than a burst.
//
// The NAB evaluation measured each step (bench/anomaly): the isolation
// forest alone scores far below the forest with the hold-off, and features
// that were tried and dropped (MAD, EWMA residual and step size fused by
// maximum, and a Numenta-style likelihood over the fused score) lowered the
// standard score.
type combinedDetector struct {
	cfg    Config
	forest *iforestDetector
	local  *ring
	spread *logSpread
	hold   int
	seen   int
}

func newCombined(cfg Config) *combinedDetector {
	inner := cfg
	inner.WarmUp = 2
	return &combinedDetector{
		cfg:    cfg,
		forest: newIsolationForest(inner),
		local:  newRing(localSpan),
		spread: newLogSpread(cfg.Alpha / 10),
	}
}

// Kind returns KindCombined.
func (d *combinedDetector) Kind() Kind { return KindCombined }

// Observe scores v, then folds it into every feature's state.
func (d *combinedDetector) Observe(t time.Time, v float64) Result {
	if !finite(v) {
		return Result{}
	}
	score := d.forest.Observe(t, v).Score
	d.local.push(v)
	if d.local.full() {
		score = math.Max(score, d.spread.observe(localStd(d.local)))
	}
	d.seen++
	if d.seen <= d.cfg.WarmUp {
		return result(0, d.cfg.Threshold)
	}

	if d.hold > 0 {
		d.hold--
		score *= holdoffDamping
	} else if score >= d.cfg.Threshold && d.cfg.Holdoff > 0 {
		d.hold = d.cfg.Holdoff
	}
	return result(score, d.cfg.Threshold)
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
