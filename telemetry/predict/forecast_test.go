package predict

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCapacity_CountsInstancesAtQuantile(t *testing.T) {
	fc := Forecast{Mean: []float64{250, 1000, 0, -40}, Std: []float64{0, 100, 0, 10}}
	tests := []struct {
		name string
		q    float64
		want []int
	}{
		{"median", 0.5, []int{3, 10, 0, 0}},
		{"p95 adds 1.645 deviations", 0.95, []int{3, 12, 0, 0}},
		{"p5 subtracts them", 0.05, []int{3, 9, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Capacity(fc, 100, tt.q)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	peak, err := PeakCapacity(fc, 100, 0.95)
	require.NoError(t, err)
	assert.Equal(t, 12, peak)
}

func TestCapacity_RejectsBadArguments(t *testing.T) {
	fc := Forecast{Mean: []float64{1}, Std: []float64{1}}
	tests := []struct {
		name string
		per  float64
		q    float64
		want error
	}{
		{"quantile zero", 1, 0, ErrBadQuantile},
		{"quantile one", 1, 1, ErrBadQuantile},
		{"quantile NaN", 1, math.NaN(), ErrBadQuantile},
		{"target zero", 0, 0.5, ErrBadTarget},
		{"target negative", -3, 0.5, ErrBadTarget},
		{"target NaN", math.NaN(), 0.5, ErrBadTarget},
		{"target infinite", math.Inf(1), 0.5, ErrBadTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Capacity(fc, tt.per, tt.q)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestForecast_IntervalIsCentral(t *testing.T) {
	fc := Forecast{Mean: []float64{10}, Std: []float64{2}}
	lo, hi := fc.Interval(0.95)
	assert.InDelta(t, 10-1.96*2, lo[0], 1e-2)
	assert.InDelta(t, 10+1.96*2, hi[0], 1e-2)
}
