package predict

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// awkwardSeries returns series that models must survive: degenerate,
// non-finite, gapped and extreme ones.
func awkwardSeries(seed uint64) map[string][]float64 {
	r := rand.New(rand.NewPCG(seed, 17))
	walk := make([]float64, 600)
	for i := 1; i < len(walk); i++ {
		walk[i] = walk[i-1] + r.NormFloat64()
	}
	spiky := sine(600, 24, 1, seed)
	spiky[300] = 1e12
	withNaN := sine(600, 24, 1, seed)
	withNaN[100] = math.NaN()
	withInf := sine(600, 24, 1, seed)
	withInf[200] = math.Inf(-1)
	zeros := make([]float64, 600)
	tiny := sine(600, 24, 1e-300, seed)
	return map[string][]float64{
		"empty": nil, "single point": {3}, "two points": {1, 2},
		"constant": repeat(7, 600), "zeros": zeros, "random walk": walk,
		"spike": spiky, "NaN": withNaN, "Inf": withInf, "tiny": tiny,
		"seasonal": sine(600, 24, 1, seed), "negative seasonal": shift(sine(600, 24, 1, seed), -100),
	}
}

func repeat(v float64, n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = v
	}
	return y
}

func shift(y []float64, d float64) []float64 {
	for i := range y {
		y[i] += d
	}
	return y
}

func TestModels_FiniteForecastsOrErrorOnAwkwardSeries(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		for sname, y := range awkwardSeries(seed) {
			for _, mname := range ModelNames() {
				t.Run(sname+"/"+mname, func(t *testing.T) {
					m, err := NewModel(mname, 24)
					require.NoError(t, err)
					var fitErr error
					require.NotPanics(t, func() { fitErr = m.Fit(y, 24) })
					if fitErr != nil {
						return
					}
					require.NotPanics(t, func() {
						m.Update(y[len(y)-1])
						m.Update(1)
					})
					p := m.Predict(50)
					require.Len(t, p.Mean, 50)
					require.Len(t, p.Std, 50)
					for i := range p.Mean {
						assert.False(t, notFinite(p.Mean[i]), "mean[%d]=%v", i, p.Mean[i])
						assert.False(t, notFinite(p.Std[i]), "std[%d]=%v", i, p.Std[i])
						assert.GreaterOrEqual(t, p.Std[i], 0.0)
					}
				})
			}
		}
	}
}

func TestModels_RejectNonFiniteInput(t *testing.T) {
	for _, mname := range ModelNames() {
		t.Run(mname, func(t *testing.T) {
			m, err := NewModel(mname, 24)
			require.NoError(t, err)
			err = m.Fit([]float64{1, 2, math.NaN(), 4, 5, 6, 7, 8, 9, 10}, 0)
			require.Error(t, err)
		})
	}
}

func TestModels_ConstantSeriesForecastsConstant(t *testing.T) {
	for _, mname := range ModelNames() {
		t.Run(mname, func(t *testing.T) {
			m, err := NewModel(mname, 24)
			require.NoError(t, err)
			require.NoError(t, m.Fit(repeat(5, 400), 24))
			for _, f := range m.Predict(30).Mean {
				assert.InDelta(t, 5, f, 1e-6)
			}
		})
	}
}

func TestNewModel_UnknownName(t *testing.T) {
	_, err := NewModel("prophet", 10)
	require.ErrorIs(t, err, ErrUnknownModel)
}

func TestSeasonalNaive_RepeatsLastPeriod(t *testing.T) {
	y := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	m := NewSeasonalNaive()
	require.NoError(t, m.Fit(y, 3))
	assert.Equal(t, []float64{7, 8, 9, 7, 8}, m.Predict(5).Mean)
	m.Update(10)
	assert.Equal(t, []float64{8, 9, 10, 8}, m.Predict(4).Mean)
}

func TestLinear_RecoversTrendAndSeason(t *testing.T) {
	y := make([]float64, 480)
	for i := range y {
		y[i] = 3 + 0.5*float64(i) + []float64{2, -1, -1}[i%3]
	}
	m := NewLinear()
	require.NoError(t, m.Fit(y, 3))
	p := m.Predict(6)
	for i, f := range p.Mean {
		t0 := len(y) + i
		assert.InDelta(t, 3+0.5*float64(t0)+[]float64{2, -1, -1}[t0%3], f, 1e-3)
	}
}

func TestModels_NextMatchesOneStepPredict(t *testing.T) {
	y := shift(sine(800, 24, 1, 12), 50)
	for _, mname := range ModelNames() {
		t.Run(mname, func(t *testing.T) {
			m, err := NewModel(mname, 24)
			require.NoError(t, err)
			sf, ok := m.(stepForecaster)
			if !ok {
				t.Skipf("%s has no constant-time one-step forecast", mname)
			}
			require.NoError(t, m.Fit(y[:700], 24))
			for _, v := range y[700:] {
				assert.InDelta(t, m.Predict(1).Mean[0], sf.Next(), 1e-9)
				m.Update(v)
			}
		})
	}
}

func TestEnsemble_OneStepWeightsFollowLatestMisses(t *testing.T) {
	// A level shift right before the forecast: the member that kept the
	// last value must outweigh the one still on the old level.
	y := shift(sine(1200, 24, 0.2, 3), 100)
	e, err := NewEnsemble(24, NewNaive(), NewSeasonalNaive())
	require.NoError(t, err)
	require.NoError(t, e.Fit(y, 24))
	for range 3 {
		e.Update(300)
	}
	w := e.weightsAt(0)
	assert.Greater(t, w[0], w[1])
}
