package predict

import (
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
