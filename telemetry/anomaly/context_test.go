package anomaly

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestContextFeature_Novelty feeds a repeating pattern, then one that
// reaches levels the series has not shown between the same bounds, and
// checks that the repeats score 0 and the new pattern scores high.
func TestContextFeature_Novelty(t *testing.T) {
	tests := []struct {
		name    string
		pattern []float64
		novel   []float64
		wantMin float64
	}{
		{"new middle level", []float64{0, 10, 0, 10}, []float64{5, 5, 5, 5, 5, 5}, 0.8},
		{"new step order", []float64{0, 0, 10, 10}, []float64{0, 10, 0, 10, 0, 10}, 0.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newContextFeature()
			for range 50 {
				for _, v := range tt.pattern {
					f.observe(v)
				}
			}
			for _, v := range tt.pattern {
				require.Zero(t, f.observe(v), "a pattern seen 50 times is familiar")
			}
			var top float64
			for _, v := range tt.novel {
				top = math.Max(top, f.observe(v))
			}
			require.GreaterOrEqual(t, top, tt.wantMin)
		})
	}
}

// TestContextFeature_BoundedDictionary checks that the dictionary drops
// stale entries once it passes ctxCapacity.
func TestContextFeature_BoundedDictionary(t *testing.T) {
	f := newContextFeature()
	x := uint64(1)
	for range 3 * ctxHorizon * 10 {
		x = x*6364136223846793005 + 1442695040888963407
		f.observe(float64(x >> 40))
	}
	require.LessOrEqual(t, len(f.seen), ctxCapacity+ctxHorizon*(2*ctxSpan-3))
}
