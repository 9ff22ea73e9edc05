package anomaly

import (
	"math"
	"sort"
	"time"
)

const (
	// seasonDays is how many earlier days the seasonal feature compares a
	// point with, at the same time of day.
	seasonDays = 7
	// seasonMinDays is how many of those days must have a sample near the
	// same time of day before the feature scores.
	seasonMinDays = 2
	// seasonSmooth is how many recent residuals the feature averages, so
	// that it answers to a day that runs differently for a while rather
	// than to one noisy point.
	seasonSmooth = 16
	// seasonScale divides the residual ratio: a smoothed residual
	// seasonScale times larger than the knnQuantile of past ones scores
	// 0.5. It sets the seasonal feature's bar above the shape feature's,
	// because a daily cycle that drifts by a few samples leaves residuals
	// that the shape feature would shrug off.
	seasonScale = 2
	// seasonMinHistory is how many residuals the feature collects before
	// it scores.
	seasonMinHistory = 100
	// seasonMinTolerance is the least distance in time between a target
	// time of day and the sample taken to stand for it.
	seasonMinTolerance = time.Minute
)

// seasonalFeature scores a point by how far it lies from the values the
// series had at the same time of day on the seasonDays days before, a
// context the shape features lack: a day on which a daily jump does not
// happen holds only shapes seen before (a long flat stretch), but at that
// time of day the earlier days were high.
//
// The prediction is the median of the earlier days' values, each the
// sample nearest the target time within half a sampling interval; the
// residual is averaged over the last seasonSmooth points and measured,
// like the shape feature, against the knnQuantile of the residuals of the
// window. A series without a daily cycle has residuals as wide as its
// spread, so it rarely scores; a series sampled less than daily, or whose
// timestamps go backwards, never does.
type seasonalFeature struct {
	times  []int64 // Unix seconds, a ring parallel to vals
	vals   []float64
	head   int // index of the oldest sample
	n      int
	resids *sortedWindow // smoothed residuals of the window
	recent *ring         // the last seasonSmooth absolute residuals
	lags   []float64     // scratch: the earlier days' values
}

func newSeasonalFeature(window int) *seasonalFeature {
	return &seasonalFeature{
		times:  make([]int64, window),
		vals:   make([]float64, window),
		resids: newSortedWindow(window),
		recent: newRing(seasonSmooth),
		lags:   make([]float64, 0, seasonDays),
	}
}

// at returns the i-th stored sample, 0 being the oldest.
func (f *seasonalFeature) at(i int) (int64, float64) {
	j := (f.head + i) % len(f.times)
	return f.times[j], f.vals[j]
}

// observe scores v at t against the earlier days, then stores it.
func (f *seasonalFeature) observe(t time.Time, v float64) float64 {
	sec := t.Unix()
	if f.n > 0 {
		if last, _ := f.at(f.n - 1); sec <= last {
			return 0 // out of order or repeated: no time-of-day context
		}
	}
	score := f.score(sec, v)
	if f.n < len(f.times) {
		j := (f.head + f.n) % len(f.times)
		f.times[j], f.vals[j] = sec, v
		f.n++
	} else {
		f.times[f.head], f.vals[f.head] = sec, v
		f.head = (f.head + 1) % len(f.times)
	}
	return score
}

// score returns the score of v at sec and folds its residual into the
// window, when enough earlier days hold a sample at that time of day.
func (f *seasonalFeature) score(sec int64, v float64) float64 {
	if f.n < 2 {
		return 0
	}
	last, _ := f.at(f.n - 1)
	tol := max((sec-last)/2, int64(seasonMinTolerance/time.Second))
	f.lags = f.lags[:0]
	for day := int64(1); day <= seasonDays; day++ {
		if x, ok := f.near(sec-day*86400, tol); ok {
			f.lags = append(f.lags, x)
		}
	}
	if len(f.lags) < seasonMinDays {
		return 0
	}
	f.recent.push(math.Abs(v - median(f.lags)))
	var sum float64
	for i := range f.recent.len() {
		sum += f.recent.at(i)
	}
	e := sum / float64(f.recent.len())

	var score float64
	if f.resids.len() >= seasonMinHistory && e > 0 {
		r := e / (f.resids.quantile(knnQuantile) + 1e-9*math.Max(1, math.Abs(v))) / seasonScale
		score = r * r / (r*r + 1)
	}
	f.resids.add(e)
	return score
}

// near returns the value of the stored sample nearest to target, if it
// lies within tol seconds of it.
func (f *seasonalFeature) near(target, tol int64) (float64, bool) {
	i := sort.Search(f.n, func(i int) bool {
		t, _ := f.at(i)
		return t >= target
	})
	best, gap := 0.0, int64(math.MaxInt64)
	for _, c := range [2]int{i - 1, i} {
		if c < 0 || c >= f.n {
			continue
		}
		t, x := f.at(c)
		if d := max(t-target, target-t); d < gap {
			best, gap = x, d
		}
	}
	return best, gap <= tol
}

// median returns the median of xs, sorting it in place.
func median(xs []float64) float64 {
	sort.Float64s(xs)
	m := len(xs)
	if m%2 == 1 {
		return xs[m/2]
	}
	return (xs[m/2-1] + xs[m/2]) / 2
}
