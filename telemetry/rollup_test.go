package telemetry

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRollup_ClosesBucketsAndCountsGaps(t *testing.T) {
	r, err := NewRollup(time.Minute)
	require.NoError(t, err)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

	// Two samples in the first minute, one of them a duplicate.
	_, _, closed, err := r.Add(t0.Add(10*time.Second), 2)
	require.NoError(t, err)
	assert.False(t, closed)
	_, _, closed, err = r.Add(t0.Add(10*time.Second), 4)
	require.NoError(t, err)
	assert.False(t, closed)

	// The next sample skips minutes 1 and 2.
	b, skipped, closed, err := r.Add(t0.Add(3*time.Minute+5*time.Second), 9)
	require.NoError(t, err)
	require.True(t, closed)
	assert.Equal(t, 2, skipped)
	assert.Equal(t, 2, b.Count)
	assert.Equal(t, 3.0, b.Mean())
	assert.Equal(t, 2.0, b.Min)
	assert.Equal(t, 4.0, b.Max)
	assert.True(t, b.Start.Equal(t0))

	open, ok := r.Open()
	require.True(t, ok)
	assert.True(t, open.Start.Equal(t0.Add(3*time.Minute)))
}

func TestRollup_RejectsBadSamples(t *testing.T) {
	r, err := NewRollup(time.Second)
	require.NoError(t, err)
	t0 := time.Unix(100, 0)
	_, _, _, err = r.Add(t0, 1)
	require.NoError(t, err)

	tests := []struct {
		name string
		t    time.Time
		v    float64
		want error
	}{
		{"nan", t0, math.NaN(), ErrNonFinite},
		{"inf", t0, math.Inf(-1), ErrNonFinite},
		{"late", t0.Add(-2 * time.Second), 1, ErrLate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, closed, err := r.Add(tt.t, tt.v)
			require.ErrorIs(t, err, tt.want)
			assert.False(t, closed)
		})
	}
	b, _ := r.Open()
	assert.Equal(t, 1, b.Count, "dropped samples must not reach the bucket")
}

func TestNewRollup_RejectsNonPositiveStep(t *testing.T) {
	_, err := NewRollup(0)
	require.Error(t, err)
}

func TestBucket_MeanOfEmptyIsNaN(t *testing.T) {
	assert.True(t, math.IsNaN(Bucket{}.Mean()))
}
