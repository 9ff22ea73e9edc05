package predict

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sine returns n samples of a sine of the given period plus Gaussian noise.
func sine(n int, period, noise float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	y := make([]float64, n)
	for i := range y {
		y[i] = 10*math.Sin(2*math.Pi*float64(i)/period) + noise*r.NormFloat64()
	}
	return y
}

func TestDetectCycles_FindsSinePeriod(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		period float64
		noise  float64
	}{
		{"pure period 24", 2000, 24, 0},
		{"pure period 37", 3000, 37, 0},
		{"noisy daily at five minutes", 4032, 288, 5},
		{"pure period 7", 500, 7, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := DetectCycles(sine(tt.n, tt.period, tt.noise, 1), CycleOptions{})
			require.NotEmpty(t, cs)
			assert.InDelta(t, tt.period, cs[0].Period, 1)
			assert.Greater(t, cs[0].ACF, 0.5)
		})
	}
}

func TestDetectCycles_RobustToGapsAndSlips(t *testing.T) {
	base := sine(4032, 288, 1, 2)
	gap := slices.Clone(base)
	for i := 1000; i < 1100; i++ {
		gap[i] = math.NaN()
	}
	gap[2000] = math.Inf(1)
	missing := slices.Delete(slices.Clone(base), 1500, 1501)
	duplicated := slices.Insert(slices.Clone(base), 2500, base[2500])

	tests := []struct {
		name string
		y    []float64
	}{
		{"gaps", gap}, {"missing sample", missing}, {"duplicated sample", duplicated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := DetectCycles(tt.y, CycleOptions{})
			require.NotEmpty(t, cs)
			assert.InDelta(t, 288, cs[0].Period, 1)

			// With the step known, the daily period is snapped exactly.
			cs = DetectCycles(tt.y, CycleOptions{Step: 5 * time.Minute})
			require.NotEmpty(t, cs)
			assert.Equal(t, 288, cs[0].Period)
			assert.Equal(t, 24*time.Hour, cs[0].Duration)
		})
	}
}

func TestDetectCycles_NoCycle(t *testing.T) {
	tests := []struct {
		name string
		y    []float64
	}{
		{"white noise", sine(2000, 1e9, 1, 3)},
		{"constant", slices.Repeat([]float64{4}, 500)},
		{"too short", []float64{1, 2, 3}},
		{"all NaN", slices.Repeat([]float64{math.NaN()}, 100)},
		{"straight line", func() []float64 {
			y := make([]float64, 1000)
			for i := range y {
				y[i] = float64(i)
			}
			return y
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Empty(t, DetectCycles(tt.y, CycleOptions{}))
		})
	}
}

func TestDetectCycles_NYCTaxiDailyAndWeekly(t *testing.T) {
	y := loadNAB(t, "nab/data/realKnownCause/nyc_taxi.csv")
	cs := DetectCycles(y, CycleOptions{Step: 30 * time.Minute})
	var durations []time.Duration
	for _, c := range cs {
		durations = append(durations, c.Duration)
	}
	assert.Contains(t, durations, 24*time.Hour, "daily cycle")
	assert.Contains(t, durations, 7*24*time.Hour, "weekly cycle")

	// Without the step, the lags themselves are found.
	cs = DetectCycles(y, CycleOptions{})
	var periods []int
	for _, c := range cs {
		periods = append(periods, c.Period)
	}
	assert.Contains(t, periods, 48)
	assert.Contains(t, periods, 336)
}

func TestPrimaryPeriod_StrongestThatFits(t *testing.T) {
	cs := []Cycle{{Period: 336, ACF: 0.9}, {Period: 48, ACF: 0.8}}
	assert.Equal(t, 336, PrimaryPeriod(cs, 2000, 4))
	assert.Equal(t, 48, PrimaryPeriod(cs, 1000, 4), "weekly needs four repeats")
	assert.Equal(t, 0, PrimaryPeriod(cs, 100, 4))
	assert.Equal(t, 0, PrimaryPeriod(nil, 100, 4))
}
