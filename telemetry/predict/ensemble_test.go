package predict

import (
	"math"

	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnsemble_WeightsFavourAccurateMember(t *testing.T) {
	// On a strong cycle, seasonal naive is far better than naive a cycle
	// ahead, and the ensemble must learn that from held-out errors.
	y := sine(2000, 24, 0.3, 8)
	e, err := NewEnsemble(24, NewNaive(), NewSeasonalNaive())
	require.NoError(t, err)
	require.NoError(t, e.Fit(y, 24))
	w := e.Weights()
	require.Len(t, w, 2)
	assert.Greater(t, w[1], 0.9)
	assert.InDelta(t, 1, w[0]+w[1], 1e-9)

	// On a random walk the roles swap: the last value is the best guess.
	walk := make([]float64, 2000)
	for i := 1; i < len(walk); i++ {
		walk[i] = walk[i-1] + sine(1, 1e9, 1, uint64(i))[0]
	}
	require.NoError(t, e.Fit(walk, 24))
	assert.Greater(t, e.weightsAt(0)[0], 0.5)
}

func TestEnsemble_SurvivesFailingMember(t *testing.T) {
	// Multiplicative Holt-Winters cannot fit negative values; the ensemble
	// goes on with the members that could.
	y := shift(sine(800, 24, 0.3, 2), -50)
	e, err := NewEnsemble(24, NewHoltWinters(SeasonMultiplicative), NewSeasonalNaive())
	require.NoError(t, err)
	require.NoError(t, e.Fit(y, 24))
	assert.Equal(t, []float64{0, 1}, e.Weights())
}

func TestNewEnsemble_RejectsBadArguments(t *testing.T) {
	_, err := NewEnsemble(10)
	require.Error(t, err)
	_, err = NewEnsemble(0, NewNaive())
	require.Error(t, err)
}

func TestEnsemble_FollowsLevelShiftWithinHorizon(t *testing.T) {
	// The level jumps from 30 to 100 less than a horizon before the end,
	// so no forecast issued after the jump has matured. Linear reverts
	// towards its regression line; naive follows the new level. The
	// ensemble must see within those steps that Linear went astray.
	const horizon = 288
	n := 4000
	y := shift(sine(n, 1e9, 0.5, 7), 30)
	for i := n - 190; i < n; i++ {
		y[i] += 70
	}
	e, err := NewEnsemble(horizon, NewLinear(), NewNaive())
	require.NoError(t, err)
	require.NoError(t, e.Fit(y, 0))

	level := 100.0
	mae := func(p Prediction) float64 {
		var s float64
		for _, f := range p.Mean {
			s += math.Abs(f - level)
		}
		return s / float64(len(p.Mean))
	}
	naive := NewNaive()
	require.NoError(t, naive.Fit(y, 0))
	linear := NewLinear()
	require.NoError(t, linear.Fit(y, 0))
	require.Greater(t, mae(linear.Predict(horizon)), 5*mae(naive.Predict(horizon)),
		"the case needs a member that reverts")
	assert.Less(t, mae(e.Predict(horizon)), 1.5*mae(naive.Predict(horizon)))
	w := e.Weights()
	assert.Greater(t, w[1], 0.9, "weight of the member that follows the new level")
}

func TestEnsemble_FollowsJumpTwoStepsBeforeOrigin(t *testing.T) {
	// The level jumps from 6 to 20 two steps before the end: no forecast
	// issued after the jump has been scored at any lead past the first.
	// Linear and ARIMA revert to the old level, Naive stays on the new
	// one, and the ensemble must not side with the members that revert
	// merely because they did best before the jump.
	const horizon = 288
	y := shift(sine(3000, 1e9, 0.3, 11), 6)
	y[len(y)-2] += 14
	y[len(y)-1] += 14
	members := []Model{NewLinear(), NewARIMA(ARIMABounds{}), NewNaive()}
	e, err := NewEnsemble(horizon, members...)
	require.NoError(t, err)
	require.NoError(t, e.Fit(y, 0))

	const oldLevel, newLevel = 6.0, 20.0
	mae := func(p Prediction) float64 {
		var s float64
		for _, f := range p.Mean[1:] {
			s += math.Abs(f - newLevel)
		}
		return s / float64(len(p.Mean)-1)
	}
	best := math.Inf(1)
	for _, mem := range members {
		best = math.Min(best, mae(mem.Predict(horizon)))
	}
	lin := mae(members[0].Predict(horizon))
	require.Greater(t, lin, (newLevel-oldLevel)/2, "the case needs a member that reverts")
	got := mae(e.Predict(horizon))
	assert.Less(t, got, 1.5*best, "ensemble error %.3f against best member %.3f", got, best)
}
