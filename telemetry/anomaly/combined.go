package anomaly

import (
	"math"
	"time"
)

const (
	// localSpan is the number of points whose spread the flatline feature
	// measures.
	localSpan = 12
	// holdoffDamping multiplies the score during a hold-off.
	holdoffDamping = 0.5
	// coarseStep is how many points the coarse shape feature averages into
	// one value, so that its shingles span coarseStep times more time.
	coarseStep = 8
)

// combinedDetector fuses three views of a point that see different
// anomalies, and damps the alerts that follow an alert:
//
//  1. shape: the distance from the latest shingle (the last Shingle
//     values) to its nearest neighbour among the window's shingles,
//     against the distances earlier shingles had (knnFeature). It catches
//     spikes, drops, level shifts and new patterns, and unlike an
//     isolation forest it does not flag a pattern that is rare but
//     recurs, such as the edge of a daily cycle;
//  2. coarse shape: the same feature over means of coarseStep points,
//     which sees slower changes that span more than one shingle;
//  3. flatline: a collapse of the local spread below anything the window
//     has seen (flatFeature), which a distance between shingles misses
//     when the series is noisy;
//  4. the raw score is the largest of the three;
//  5. hold-off: after an alert the score is damped for Holdoff points, so
//     that one event raises one alert rather than a burst.
//
// Each step was measured with the NAB evaluation (bench/anomaly), with one
// setting for every file. Tried and dropped because they lowered the
// standard score: an isolation forest over the shingle as the shape
// feature, alone or beside the nearest-neighbour distance; a second coarse
// scale (2 or 32 points a value) beside the first; MAD, EWMA
// residual and step size fused by maximum; a Numenta-style likelihood over
// the fused score; a two-sided local-spread feature; a gate that lets
// through only scores above the recent maximum; and a hold-off that doubles
// when alerts follow each other.
type combinedDetector struct {
	cfg    Config
	knn    *knnFeature
	coarse *knnFeature
	flat   *flatFeature
	local  *ring
	block  float64 // sum of the values of the current coarse block
	blockN int     // number of values in it
	hold   int
	seen   int
}

func newCombined(cfg Config) *combinedDetector {
	return &combinedDetector{
		cfg:    cfg,
		knn:    newKNNFeature(cfg.Window, cfg.Shingle),
		coarse: newKNNFeature(max(cfg.Window/coarseStep, 8*cfg.Shingle), cfg.Shingle),
		flat:   newFlatFeature(cfg.Window),
		local:  newRing(localSpan),
	}
}

// Kind returns KindCombined.
func (d *combinedDetector) Kind() Kind { return KindCombined }

// Observe scores v, then folds it into every feature's state.
func (d *combinedDetector) Observe(_ time.Time, v float64) Result {
	if !finite(v) {
		return Result{}
	}
	score := d.knn.observe(v)
	d.block += v
	if d.blockN++; d.blockN == coarseStep {
		score = math.Max(score, d.coarse.observe(d.block/coarseStep))
		d.block, d.blockN = 0, 0
	}
	d.local.push(v)
	if d.local.full() {
		score = math.Max(score, d.flat.observe(localStd(d.local)))
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

// localStd returns the standard deviation of the values in r, in two
// passes so that huge values give +Inf rather than NaN.
func localStd(r *ring) float64 {
	var sum float64
	for i := range r.len() {
		sum += r.at(i) / float64(r.len())
	}
	var sq float64
	for i := range r.len() {
		d := r.at(i) - sum
		sq += d * d
	}
	return math.Sqrt(sq / float64(r.len()))
}
