package anomaly

import "math"

// knnQuantile is the quantile of past nearest distances that a new
// distance is measured against: a distance 1.22 times that quantile scores
// 0.6, the default threshold.
const knnQuantile = 0.975

// knnFeature scores the latest shingle (the last k values) by its distance
// to the nearest shingle of the window that does not overlap it, against
// the nearest distances earlier shingles had. A pattern that recurs,
// however rare, finds a close neighbour and scores low; a pattern the
// window has never held scores high.
type knnFeature struct {
	k     int
	vals  *ring
	dists *sortedWindow // nearest distances of past shingles
	cur   []float64     // the latest shingle, newest first
}

func newKNNFeature(window, k int) *knnFeature {
	return &knnFeature{
		k:     k,
		vals:  newRing(window),
		dists: newSortedWindow(window),
		cur:   make([]float64, k),
	}
}

// observe adds v and returns the score of the shingle it ends, in [0, 1].
func (f *knnFeature) observe(v float64) float64 {
	f.vals.push(v)
	n := f.vals.len()
	if n < 3*f.k {
		return 0
	}
	d := f.nearest(n)
	var score float64
	if f.dists.len() >= 2*f.k && d > 0 {
		r := d / (f.dists.quantile(knnQuantile) + 1e-9*math.Max(1, math.Abs(v)))
		score = r * r / (r*r + 1)
	}
	f.dists.add(d)
	return score
}

// nearest returns the Euclidean distance from the shingle ending at the
// newest of n values to its nearest predecessor that does not overlap it.
// The inner loop abandons a candidate once it is farther than the best.
func (f *knnFeature) nearest(n int) float64 {
	k := f.k
	for i := range k {
		f.cur[i] = f.vals.at(n - 1 - i)
	}
	best := math.Inf(1)
	for end := k - 1; end <= n-1-k; end++ {
		var s float64
		for i := 0; i < k && s < best; i++ {
			d := f.vals.at(end-i) - f.cur[i]
			s += d * d
		}
		best = math.Min(best, s)
	}
	return math.Sqrt(best)
}
