package anomaly

import (
	"math"
	"math/rand/v2"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/require"
)

// bruteNearest is the reference for knnFeature.nearest: a scan over every
// shingle of the window that does not overlap the latest one.
func bruteNearest(vals []float64, k int) float64 {
	n := len(vals)
	best := math.Inf(1)
	for end := k - 1; end <= n-1-k; end++ {
		var s float64
		for i := range k {
			d := vals[end-i] - vals[n-1-i]
			s += d * d
		}
		best = math.Min(best, s)
	}
	return math.Sqrt(best)
}

// TestKNNFeature_MatchesBruteForce holds the indexed nearest-neighbour
// search against a linear scan, through window evictions and ties.
func TestKNNFeature_MatchesBruteForce(t *testing.T) {
	check := func(seed uint64, window, k uint8, n uint16) bool {
		w := int(window%60) + 20
		kk := int(k%6) + 1
		rng := rand.New(rand.NewPCG(seed, 5))
		f := newKNNFeature(w, kk)
		var all []float64
		for range int(n%400) + 1 {
			v := math.Round(rng.NormFloat64() * 3)
			all = append(all, v)
			f.vals.push(v)
			f.total++
			f.updateIndex()
			win := all[max(0, len(all)-w):]
			if len(win) < 2*kk {
				continue
			}
			if got, want := f.nearest(), bruteNearest(win, kk); math.Abs(got-want) > 1e-9 {
				t.Logf("window %d k %d at %d: got %v want %v", w, kk, len(all), got, want)
				return false
			}
		}
		return true
	}
	require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 300}))
}
