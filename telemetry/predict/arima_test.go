package predict

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simulateAR2 generates n values of y[t] = a1*y[t-1] + a2*y[t-2] + e[t].
func simulateAR2(n int, a1, a2 float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 13))
	y := make([]float64, n+200)
	for t := 2; t < len(y); t++ {
		y[t] = a1*y[t-1] + a2*y[t-2] + r.NormFloat64()
	}
	return y[200:]
}

func TestARIMA_RecoversAR2(t *testing.T) {
	ar2 := &ARIMAOrder{P: 2}
	tests := []struct {
		name   string
		a1, a2 float64
		bounds ARIMABounds
	}{
		{"damped, order searched", 0.6, -0.3, ARIMABounds{}},
		{"pseudo cycle, order searched", 1.3, -0.6, ARIMABounds{}},
		{"positive, order given", 0.4, 0.3, ARIMABounds{Order: ar2}},
		{"near unit root, order given", 0.9, 0.05, ARIMABounds{Order: ar2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewARIMA(tt.bounds)
			require.NoError(t, m.Fit(simulateAR2(3000, tt.a1, tt.a2, 9), 0))
			o := m.Order()
			assert.Equal(t, 2, o.P, "order %v", o)
			assert.Equal(t, 0, o.D, "order %v", o)
			assert.Equal(t, 0, o.Q, "order %v", o)
			ar, _ := m.Coefficients()
			require.Len(t, ar, 2)
			assert.InDelta(t, tt.a1, ar[0], 0.06)
			assert.InDelta(t, tt.a2, ar[1], 0.06)
		})
	}
}

func TestARIMA_SeasonalForecastFollowsCycle(t *testing.T) {
	y := sine(1500, 24, 0.5, 6)
	m := NewARIMA(ARIMABounds{})
	require.NoError(t, m.Fit(y[:1452], 24))
	assert.Equal(t, 24, m.Order().S)
	assert.Equal(t, 1, m.Order().SD)
	p := m.Predict(48)
	var mae float64
	for i, f := range p.Mean {
		mae += math.Abs(f-y[1452+i]) / 48
	}
	assert.Less(t, mae, 1.0, "amplitude is 10, noise 0.5")
	assert.Greater(t, p.Std[47], p.Std[0], "uncertainty grows with the horizon")
}

func TestARIMA_UpdateMatchesRefit(t *testing.T) {
	// Updating a fitted model with new values must leave it where running
	// the same coefficients through the longer series would.
	y := simulateAR2(1000, 0.5, 0.2, 3)
	m := NewARIMA(ARIMABounds{})
	require.NoError(t, m.Fit(y[:900], 0))
	for _, v := range y[900:] {
		m.Update(v)
	}
	want := 0.0
	ar, _ := m.Coefficients()
	for i, a := range ar {
		want += a * (y[999-i] - m.c)
	}
	got := m.Predict(1).Mean[0] - m.c
	if m.Order().Q == 0 {
		assert.InDelta(t, want, got, 1e-9)
	}
	assert.False(t, math.IsNaN(got))
}

func TestChooseDifferencing_KPSS(t *testing.T) {
	walk := make([]float64, 2000)
	shifted := sine(2000, 1e9, 1, 4)
	for i := 1; i < len(walk); i++ {
		walk[i] = walk[i-1] + sine(1, 1e9, 1, uint64(i))[0]
	}
	for i := 1500; i < len(shifted); i++ {
		shifted[i] += 20
	}
	tests := []struct {
		name  string
		y     []float64
		wantD int
	}{
		{"white noise", sine(2000, 1e9, 1, 5), 0},
		{"stationary AR(2)", simulateAR2(2000, 0.6, -0.3, 4), 0},
		{"random walk", walk, 1},
		{"level shift", shifted, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantD, chooseDifferencing(tt.y, 0).D)
		})
	}
}
