package anomaly

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"testing/quick"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDetector_ScoresInRange feeds every detector random series laced with
// NaN, infinities, huge values, constants and time gaps, and checks that
// nothing panics, every score lies in [0, 1], and non-finite values never
// score or flag.
func TestDetector_ScoresInRange(t *testing.T) {
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e300, -1e300, 0}
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			check := func(seed uint64, n uint16, constant bool) bool {
				rng := rand.New(rand.NewPCG(seed, 1))
				det, err := NewDetector(kind, Config{Window: 64, WarmUp: 8, SampleSize: 32, RetrainEvery: 16})
				require.NoError(t, err)
				ts := epoch
				for i := range int(n%600) + 1 {
					v := 3.0
					if !constant {
						v = rng.NormFloat64() * 10
						if rng.IntN(10) == 0 {
							v = specials[rng.IntN(len(specials))]
						}
					}
					ts = ts.Add(time.Duration(1+rng.IntN(3)*rng.IntN(2)*3600) * time.Second)
					r := det.Observe(ts, v)
					if r.Score < 0 || r.Score > 1 || math.IsNaN(r.Score) {
						t.Logf("score %v at %d", r.Score, i)
						return false
					}
					if !finite(v) && (r.Score != 0 || r.Flag) {
						return false
					}
					if constant && r.Flag {
						return false
					}
				}
				return true
			}
			require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 60}))
		})
	}
}

// TestDetector_SinglePoint checks that one point, the first, scores 0.
func TestDetector_SinglePoint(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			det, err := NewDetector(kind, Config{})
			require.NoError(t, err)
			assert.Equal(t, Result{}, det.Observe(epoch, 42))
			assert.Equal(t, kind, det.Kind())
		})
	}
}

// TestDetector_FlagsPlantedSpike checks that each detector scores a large
// spike in a noisy series above every ordinary point after warm-up. The
// plain isolation forest is left out: a one-point spike moves one of the
// shingle's coordinates, which its random splits seldom pick (see the TODO
// in iforest.go); the combined detector covers it.
func TestDetector_FlagsPlantedSpike(t *testing.T) {
	vs := syntheticSeries(1500, 9, []planted{{EventSpike, 1200, 1200}})
	for _, kind := range Kinds {
		if kind == KindIsolationForest {
			continue
		}
		t.Run(string(kind), func(t *testing.T) {
			det, err := NewDetector(kind, Config{})
			require.NoError(t, err)
			var spike, others float64
			for i, v := range vs {
				r := det.Observe(epoch.Add(time.Duration(i)*time.Minute), v)
				if i == 1200 {
					spike = r.Score
					assert.True(t, r.Flag, "spike not flagged (score %.3f)", r.Score)
				} else if i > 400 && i < 1200 {
					others = math.Max(others, r.Score)
				}
			}
			assert.Greater(t, spike, others)
		})
	}
}

// TestNewDetector_Errors checks that bad kinds and configs are refused
// with errors that name the problem.
func TestNewDetector_Errors(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		cfg  Config
		want error
	}{
		{"unknown kind", Kind("prophet"), Config{}, ErrUnknownKind},
		{"tiny window", KindMAD, Config{Window: 4}, ErrBadConfig},
		{"threshold above one", KindZScore, Config{Threshold: 1.5}, ErrBadConfig},
		{"alpha one", KindEWMA, Config{Alpha: 1}, ErrBadConfig},
		{"sample above window", KindIsolationForest, Config{Window: 100, SampleSize: 200}, ErrBadConfig},
		{"warm-up above window", KindCombined, Config{Window: 100, WarmUp: 200}, ErrBadConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewDetector(tt.kind, tt.cfg)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.want), "%v", err)
		})
	}
	k, err := ParseKind("iforest")
	require.NoError(t, err)
	assert.Equal(t, KindIsolationForest, k)
	_, err = ParseKind("nope")
	assert.ErrorIs(t, err, ErrUnknownKind)
}

// TestSortedWindow_OrderStatistics holds the sorted window's median,
// quantiles and MAD against a sort of the same values.
func TestSortedWindow_OrderStatistics(t *testing.T) {
	check := func(seed uint64, capacity uint8, n uint16) bool {
		c := int(capacity%50) + 1
		rng := rand.New(rand.NewPCG(seed, 3))
		w := newSortedWindow(c)
		var all []float64
		for range int(n%300) + 1 {
			v := math.Round(rng.NormFloat64() * 5) // ties are common
			w.add(v)
			all = append(all, v)
		}
		win := append([]float64(nil), all[max(0, len(all)-c):]...)
		sort.Float64s(win)
		m := quantileSorted(win, 0.5)
		devs := make([]float64, len(win))
		for i, x := range win {
			devs[i] = math.Abs(x - m)
		}
		sort.Float64s(devs)
		return w.median() == m &&
			w.quantile(0.25) == quantileSorted(win, 0.25) &&
			math.Abs(w.mad(m)-quantileSorted(devs, 0.5)) < 1e-12
	}
	require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 500}))
}
