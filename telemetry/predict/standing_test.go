package predict

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStanding_Factors(t *testing.T) {
	// Each case feeds 2000 steps of usual errors, then 30 steps of the
	// latest ones; every step scores three forecasts.
	tests := []struct {
		name         string
		usual, later []float64 // absolute error by member
		want         []float64 // factor bounds: at least want[i], and 1 when want[i] is 1
	}{
		{"steady", []float64{1, 2, 4}, []float64{1, 2, 4}, []float64{1, 1, 1}},
		{"all miss alike", []float64{1, 2, 4}, []float64{10, 20, 40}, []float64{1, 1, 1}},
		{"one goes astray", []float64{1, 1, 1}, []float64{1, 8, 1}, []float64{1, 3, 1}},
		{"best degrades", []float64{1, 2, 2}, []float64{4, 2, 2}, []float64{2, 1, 1}},
	}
	has := []bool{true, true, true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStanding(3)
			feed := func(errs []float64, steps int) {
				for range steps {
					for range 3 {
						s.add(errs)
					}
					s.close(has)
				}
			}
			feed(tt.usual, 2000)
			feed(tt.later, 30)
			got := make([]float64, 3)
			s.factors(got, has)
			for i, w := range tt.want {
				if w == 1 {
					assert.InDelta(t, 1, got[i], 1e-9, "member %d", i)
				} else {
					assert.GreaterOrEqual(t, got[i], w, "member %d", i)
				}
			}
		})
	}
}

func TestStanding_SkipsUninformativeSteps(t *testing.T) {
	s := newStanding(3)
	s.add([]float64{0, 0, 0})                   // every member exact
	s.add([]float64{1, math.NaN(), math.NaN()}) // one member alone
	s.close([]bool{true, true, true})
	got := make([]float64, 3)
	s.factors(got, []bool{true, true, true})
	assert.Equal(t, []float64{1, 1, 1}, got)
	assert.True(t, math.IsNaN(s.fast[0].value()), "no step was scored")
}
