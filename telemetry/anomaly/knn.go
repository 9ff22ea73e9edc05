package anomaly

import (
	"math"
	"sort"
)

// knnQuantile is the quantile of past nearest distances that a new
// distance is measured against: a distance 1.22 times that quantile scores
// 0.6, the default threshold.
const knnQuantile = 0.975

// knnFeature scores the latest shingle (the last k values) by its distance
// to the nearest shingle of the window that does not overlap it, against
// the nearest distances earlier shingles had. A pattern that recurs,
// however rare, finds a close neighbour and scores low; a pattern the
// window has never held scores high.
//
// The search is exact. Candidates are kept sorted by their mean: the
// squared distance between two shingles is at least k times the square of
// the difference of their means, so the search walks outward from the
// latest shingle's mean and stops once that bound passes the best distance
// found.
//
// TODO: on a smooth noisy series many shingles share a mean, so the walk
// still visits hundreds of candidates and a week of one-minute samples
// costs tens of microseconds a point; a second bound (means of the two
// halves of the shingle) or a metric tree would visit fewer.
type knnFeature struct {
	k     int
	vals  *ring
	total int           // values pushed so far
	dists *sortedWindow // nearest distances of past shingles
	cur   []float64     // the latest shingle, newest first
	index []knnEntry    // candidate shingles, sorted by mean
	means []float64     // mean of each indexed shingle, at end % len
}

// knnEntry is one candidate shingle: its mean and the absolute position of
// its newest value.
type knnEntry struct {
	mean float64
	end  int
}

func newKNNFeature(window, k int) *knnFeature {
	return &knnFeature{
		k:     k,
		vals:  newRing(window),
		dists: newSortedWindow(window),
		cur:   make([]float64, k),
		index: make([]knnEntry, 0, window),
		means: make([]float64, window),
	}
}

// observe adds v and returns the score of the shingle it ends, in [0, 1].
func (f *knnFeature) observe(v float64) float64 {
	f.vals.push(v)
	f.total++
	f.updateIndex()
	if f.vals.len() < 3*f.k {
		return 0
	}
	d := f.nearest()
	var score float64
	if f.dists.len() >= 2*f.k && d > 0 {
		r := d / (f.dists.quantile(knnQuantile) + 1e-9*math.Max(1, math.Abs(v)))
		score = r * r / (r*r + 1)
	}
	f.dists.add(d)
	return score
}

// updateIndex drops the shingle that lost its oldest value to the window
// and adds the newest shingle that does not overlap the latest one.
func (f *knnFeature) updateIndex() {
	k, oldest := f.k, f.total-f.vals.len()

	// The shingle ending at oldest+k-2 began one value before the window.
	if gone := oldest + k - 2; oldest > 0 && gone <= f.total-1-k {
		f.remove(gone)
	}
	if end := f.total - 1 - k; end-(k-1) >= oldest {
		m := f.shingleMean(end)
		f.means[end%len(f.means)] = m
		i := sort.Search(len(f.index), func(i int) bool { return f.index[i].mean >= m })
		f.index = append(f.index, knnEntry{})
		copy(f.index[i+1:], f.index[i:])
		f.index[i] = knnEntry{mean: m, end: end}
	}
}

// remove deletes the candidate ending at absolute position end.
func (f *knnFeature) remove(end int) {
	m := f.means[end%len(f.means)]
	i := sort.Search(len(f.index), func(i int) bool { return f.index[i].mean >= m })
	for ; i < len(f.index); i++ {
		if f.index[i].end == end {
			copy(f.index[i:], f.index[i+1:])
			f.index = f.index[:len(f.index)-1]
			return
		}
	}
}

// value returns the value at absolute position p, which must be in the
// window.
func (f *knnFeature) value(p int) float64 {
	return f.vals.at(p - (f.total - f.vals.len()))
}

// shingleMean returns the mean of the shingle ending at position end.
func (f *knnFeature) shingleMean(end int) float64 {
	var s float64
	for i := range f.k {
		s += f.value(end - i)
	}
	return s / float64(f.k)
}

// nearest returns the Euclidean distance from the latest shingle to its
// nearest indexed candidate.
func (f *knnFeature) nearest() float64 {
	k, last := f.k, f.total-1
	var m float64
	for i := range k {
		f.cur[i] = f.value(last - i)
		m += f.cur[i]
	}
	m /= float64(k)

	best := math.Inf(1)
	hi := sort.Search(len(f.index), func(i int) bool { return f.index[i].mean >= m })
	lo := hi - 1
	kf := float64(k)
	for lo >= 0 || hi < len(f.index) {
		// Take the side whose mean is closer; stop when even it is too far.
		var e knnEntry
		if hi >= len(f.index) || (lo >= 0 && m-f.index[lo].mean <= f.index[hi].mean-m) {
			e = f.index[lo]
			lo--
		} else {
			e = f.index[hi]
			hi++
		}
		if dm := e.mean - m; kf*dm*dm >= best {
			break
		}
		var s float64
		for i := 0; i < k && s < best; i++ {
			d := f.value(e.end-i) - f.cur[i]
			s += d * d
		}
		best = math.Min(best, s)
	}
	return math.Sqrt(best)
}
