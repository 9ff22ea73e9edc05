package anomaly

import (
	"math"
	"sort"
	"time"
)

// Classification settings, in units of the event's baseline.
const (
	// displacedSpreads is how many baseline spreads from the baseline
	// median a value must lie to count as displaced.
	displacedSpreads = 3.0
	// flatStepRatio is how small the event's median step must be, relative
	// to the baseline's, for a flatline.
	flatStepRatio = 0.1
	// swingStepRatio is how large the event's median step must be,
	// relative to the baseline's, for an oscillation.
	swingStepRatio = 3.0
	// shiftShare is the share of the event's values that must be displaced
	// to one side for a level shift.
	shiftShare = 0.8
	// minLasting is how many points an event must span to be a level
	// shift, flatline or oscillation rather than a spike or drop.
	minLasting = 8
)

// classify returns the kind of the open event and the end of the range it
// covers, from the values seen since it began (the flags and the quiet
// points after them) against the baseline before it.
func (tr *Tracker) classify() (EventKind, time.Time) {
	b, vals, end := tr.base, tr.values, tr.cur.End
	last := tr.times[len(tr.times)-1]
	spread := math.Max(b.spread, 1e-9*math.Max(1, math.Abs(b.median)))

	// Count the values displaced up and down, and measure the steps.
	up, down := 0, 0
	steps := make([]float64, 0, len(vals))
	for i, v := range vals {
		switch {
		case v-b.median > displacedSpreads*spread:
			up++
		case b.median-v > displacedSpreads*spread:
			down++
		}
		if i > 0 {
			steps = append(steps, math.Abs(v-vals[i-1]))
		}
	}
	sort.Float64s(steps)
	step := quantileSorted(steps, 0.5)
	n := float64(len(vals))

	lasting := len(vals) >= minLasting
	switch {
	case lasting && b.step > 0 && step < flatStepRatio*b.step:
		return EventFlatline, last
	case lasting && float64(up) >= shiftShare*n, lasting && float64(down) >= shiftShare*n:
		return EventLevelShift, last
	case lasting && b.step > 0 && step > swingStepRatio*b.step:
		return EventOscillation, last
	case tr.cur.PeakValue >= b.median:
		return EventSpike, end
	default:
		return EventDrop, end
	}
}
