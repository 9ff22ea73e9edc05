package anomaly

import "math"

// contextFeature scores a point by how new its context is, in the spirit of
// NAB's contextOSE detector: each value is quantised into ctxLevels levels
// between the smallest and largest values seen so far, and the point's
// context is the last ctxSpan quantised values. Its sub-contexts are the
// runs of 2 to ctxSpan values that end at the point and the pairs of the
// point with each earlier value of the span (at that lag); the score is
// the share of those never seen before. A burst whose exact shape is new
// but whose coarse levels and steps the series has shown before scores
// low, which is what the shape feature, measuring exact distances, cannot
// tell.
//
// The dictionary is bounded: once it holds more than ctxCapacity entries,
// those not seen for ctxHorizon points are dropped.
type contextFeature struct {
	lo, hi float64
	has    bool
	q      []uint8 // ring of the last ctxSpan levels
	n      int     // points seen
	seen   map[uint64]int
}

const (
	// ctxLevels is how many levels values are quantised into: 9 to 13
	// all scored above 75 on NAB, 8 and 14 below.
	ctxLevels = 11
	// ctxSpan is how many quantised values form a context.
	ctxSpan = 6
	// ctxWeight scales the share of new sub-contexts into a score: only a
	// context whose nine sub-contexts are all new scores above the
	// default threshold.
	ctxWeight = 0.66
	// ctxCapacity is the dictionary size above which stale entries are
	// dropped.
	ctxCapacity = 1 << 16
	// ctxHorizon is how many points an entry stays without being seen
	// again once the dictionary is over ctxCapacity.
	ctxHorizon = 4 * 2016
)

func newContextFeature() *contextFeature {
	return &contextFeature{q: make([]uint8, ctxSpan), seen: make(map[uint64]int)}
}

// observe adds v and returns the share of its sub-contexts never seen
// before, in [0, 1]; 0 until the span is full.
func (f *contextFeature) observe(v float64) float64 {
	if !f.has {
		f.lo, f.hi, f.has = v, v, true
	}
	f.lo, f.hi = math.Min(f.lo, v), math.Max(f.hi, v)
	var lv uint8
	if f.hi > f.lo {
		lv = uint8(min(ctxLevels-1, int((v-f.lo)/(f.hi-f.lo)*float64(ctxLevels))))
	}
	f.q[f.n%ctxSpan] = lv
	f.n++
	if f.n < ctxSpan {
		return 0
	}
	var fresh, total int
	look := func(key uint64) {
		total++
		if _, ok := f.seen[key]; !ok {
			fresh++
		}
		f.seen[key] = f.n
	}
	// Runs ending at the point: tag 1, length, levels.
	run := uint64(lv)
	for l := 2; l <= ctxSpan; l++ {
		run = run<<4 | uint64(f.level(l-1))
		look(1<<60 | uint64(l)<<52 | run)
	}
	// Pairs of the point with the value lag points before: tag 2.
	for lag := 2; lag < ctxSpan; lag++ {
		look(2<<60 | uint64(lag)<<52 | uint64(lv)<<4 | uint64(f.level(lag)))
	}
	if len(f.seen) > ctxCapacity {
		for k, at := range f.seen {
			if at < f.n-ctxHorizon {
				delete(f.seen, k)
			}
		}
	}
	return float64(fresh) / float64(total)
}

// level returns the level lag points before the latest.
func (f *contextFeature) level(lag int) uint8 {
	return f.q[(f.n-1-lag)%ctxSpan]
}
