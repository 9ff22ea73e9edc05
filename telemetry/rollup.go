package telemetry

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrNonFinite is returned by Rollup.Add when the value is NaN or infinite;
// the sample is dropped.
var ErrNonFinite = errors.New("sample value is not finite")

// ErrLate is returned by Rollup.Add when the sample belongs to a step that
// was already closed; the sample is dropped.
var ErrLate = errors.New("sample is older than the open step")

// Bucket is the roll-up of the samples that fell into one step.
type Bucket struct {
	Start time.Time // start of the step
	Count int       // samples folded in
	Sum   float64   // sum of their values
	Min   float64   // smallest value
	Max   float64   // largest value
}

// Mean returns the average of the bucket's samples, or NaN when it is empty.
func (b Bucket) Mean() float64 {
	if b.Count == 0 {
		return math.NaN()
	}
	return b.Sum / float64(b.Count)
}

// Rollup aligns samples to a fixed step. Steps start at multiples of Step
// counted from the Unix epoch, so two roll-ups of the same step agree on
// bucket boundaries.
type Rollup struct {
	step time.Duration
	cur  Bucket
	idx  int64 // step index of cur
	open bool
}

// NewRollup returns a Rollup with the given step. It returns an error when
// step is not positive.
func NewRollup(step time.Duration) (*Rollup, error) {
	if step <= 0 {
		return nil, fmt.Errorf("new rollup: step %v must be positive", step)
	}
	return &Rollup{step: step}, nil
}

// Step returns the roll-up's step.
func (r *Rollup) Step() time.Duration { return r.step }

// Add folds the sample (t, v) in. When t falls in a later step than the open
// bucket, that bucket is returned with closed set, and skipped counts the
// empty steps between it and the step of t. Samples for the open step (for
// example a duplicate) are averaged in. Add returns ErrNonFinite or ErrLate,
// wrapped, when the sample was dropped.
func (r *Rollup) Add(t time.Time, v float64) (b Bucket, skipped int, closed bool, err error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Bucket{}, 0, false, fmt.Errorf("rollup add at %v: %w", t, ErrNonFinite)
	}
	idx := stepIndex(t, r.step)
	switch {
	case !r.open:
		r.start(idx, v)
	case idx < r.idx:
		return Bucket{}, 0, false, fmt.Errorf("rollup add at %v: %w", t, ErrLate)
	case idx == r.idx:
		r.fold(v)
	default:
		b, skipped, closed = r.cur, int(idx-r.idx-1), true
		r.start(idx, v)
	}
	return b, skipped, closed, nil
}

// Open returns the bucket being filled and whether there is one.
func (r *Rollup) Open() (Bucket, bool) { return r.cur, r.open }

// start opens a new bucket at step idx holding v.
func (r *Rollup) start(idx int64, v float64) {
	r.idx, r.open = idx, true
	r.cur = Bucket{
		Start: time.Unix(0, 0).Add(time.Duration(idx) * r.step),
		Count: 1, Sum: v, Min: v, Max: v,
	}
}

// fold adds v to the open bucket.
func (r *Rollup) fold(v float64) {
	r.cur.Count++
	r.cur.Sum += v
	r.cur.Min = math.Min(r.cur.Min, v)
	r.cur.Max = math.Max(r.cur.Max, v)
}

// stepIndex returns the index of the step holding t, rounding down for times
// before the epoch.
func stepIndex(t time.Time, step time.Duration) int64 {
	ns := t.UnixNano()
	idx := ns / int64(step)
	if ns%int64(step) < 0 {
		idx--
	}
	return idx
}
