package anomaly

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolution_SmallestStep(t *testing.T) {
	r := newResolution()
	assert.Zero(t, r.floor(), "no step before two values")
	for _, v := range []float64{5, 5, 7, 6.5, 6.5, 9} {
		r.add(v)
	}
	assert.InDelta(t, 0.5, r.floor(), 1e-12)
}

// A series that sits on one value with occasional one-step moves has a
// median absolute deviation and an interquartile range of 0; the robust
// detectors must score such an ordinary move low and a jump of many times
// the usual moves high, rather than scoring both 1.
func TestRobustDetectors_RepeatedValues(t *testing.T) {
	for _, kind := range []Kind{KindMAD, KindIQR} {
		t.Run(string(kind), func(t *testing.T) {
			det, err := NewDetector(kind, Config{Window: 300, WarmUp: 100})
			require.NoError(t, err)
			t0 := time.Unix(0, 0)
			for i := range 400 {
				v := 10.0
				if i%20 == 0 {
					v = 11 // an ordinary one-step move, 5% of the time
				}
				det.Observe(t0.Add(time.Duration(i)*time.Minute), v)
			}
			usual := det.Observe(t0.Add(400*time.Minute), 11).Score
			jump := det.Observe(t0.Add(401*time.Minute), 60).Score
			assert.Less(t, usual, 0.6, "a usual move must not flag")
			assert.Greater(t, jump, 0.9, "a jump of 50 steps must score high")
			assert.Less(t, jump, 1.0, "scores must not saturate")
			assert.Greater(t, jump, usual)
			assert.False(t, math.IsNaN(jump))
		})
	}
}
