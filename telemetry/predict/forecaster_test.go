package predict

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/telemetry"
)

var t0 = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 30*time.Second, 5*time.Millisecond)
}

// feed observes y at one-minute steps from start.
func feed(t *testing.T, f *Forecaster, start time.Time, y []float64) {
	t.Helper()
	for i, v := range y {
		require.NoError(t, f.Observe(start.Add(time.Duration(i)*time.Minute), v))
	}
}

func TestForecaster_RefitsInBackgroundAndForecastsCycle(t *testing.T) {
	f, err := NewForecaster(Config{Step: time.Minute, Window: 1440, Horizon: 30, RefitEvery: 200})
	require.NoError(t, err)
	y := sine(1500, 60, 0.2, 1)
	feed(t, f, t0, y[:1200])
	// Fits started in the background while the window was short; wait for
	// them, then fit the full window.
	waitFor(t, func() bool { return f.Stats().Fits >= 1 && !f.Stats().Fitting })
	require.NoError(t, f.Refit())
	assert.Equal(t, 60, f.Stats().Period)

	// Observation continues; the model follows without a refit.
	feed(t, f, t0.Add(1200*time.Minute), y[1200:1441])
	fc, err := f.Forecast(30)
	require.NoError(t, err)
	assert.Equal(t, ModelEnsemble, fc.Model)
	assert.Equal(t, 60, fc.Period)
	assert.True(t, fc.Start.Equal(t0.Add(1440*time.Minute)), "starts at the open step")
	want := sine(1500, 60, 0, 1)
	for i, m := range fc.Mean {
		assert.InDelta(t, want[1440+i], m, 1.5, "step %d", i)
	}
	lo, hi := fc.Interval(0.95)
	assert.Less(t, lo[10], hi[10])
}

func TestForecaster_FillsGapsAndAveragesDuplicates(t *testing.T) {
	f, err := NewForecaster(Config{Step: time.Minute, MinPoints: 1000})
	require.NoError(t, err)
	require.NoError(t, f.Observe(t0, 1))
	require.NoError(t, f.Observe(t0.Add(10*time.Second), 3)) // same step
	require.NoError(t, f.Observe(t0.Add(time.Minute), 5))
	require.NoError(t, f.Observe(t0.Add(5*time.Minute), 9)) // three steps missing
	st := f.Stats()
	assert.Equal(t, 5, st.Points)
	assert.Equal(t, uint64(3), st.Filled)
	fc, err := f.Forecast(2)
	require.NoError(t, err)
	// Before the first fit the gap is carried forward and the forecast
	// repeats the last closed step.
	assert.Equal(t, []float64{5, 5}, fc.Mean)
	assert.Equal(t, ModelNaive, fc.Model)
}

func TestForecaster_RestartsAfterLongGap(t *testing.T) {
	f, err := NewForecaster(Config{Step: time.Minute, Window: 100})
	require.NoError(t, err)
	feed(t, f, t0, sine(50, 10, 0, 1))
	require.NoError(t, f.Observe(t0.Add(1000*time.Minute), 4))
	require.NoError(t, f.Observe(t0.Add(1001*time.Minute), 4))
	st := f.Stats()
	assert.Equal(t, 1, st.Points, "only the step after the gap is kept")
	fc, err := f.Forecast(1)
	require.NoError(t, err)
	assert.Equal(t, 4.0, fc.Mean[0])
	assert.True(t, fc.Start.Equal(t0.Add(1001*time.Minute)))
}

func TestForecaster_RejectsBadSamples(t *testing.T) {
	f, err := NewForecaster(Config{Step: time.Minute})
	require.NoError(t, err)
	_, err = f.Forecast(3)
	require.ErrorIs(t, err, ErrNoData)
	require.NoError(t, f.Observe(t0.Add(time.Hour), 1))
	require.ErrorIs(t, f.Observe(t0.Add(time.Hour), math.NaN()), telemetry.ErrNonFinite)
	require.ErrorIs(t, f.Observe(t0.Add(time.Hour), math.Inf(1)), telemetry.ErrNonFinite)
	require.ErrorIs(t, f.Observe(t0, 1), telemetry.ErrLate)
	_, err = f.Forecast(0)
	require.ErrorIs(t, err, ErrBadHorizon)
}

func TestNewForecaster_RejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no step", Config{}},
		{"unknown model", Config{Step: time.Second, Models: []string{"lstm"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewForecaster(tt.cfg)
			require.Error(t, err)
		})
	}
}

func TestForecaster_SingleModelAndSyncRefit(t *testing.T) {
	f, err := NewForecaster(Config{Step: time.Minute, Models: []string{ModelSeasonalNaive}, MinPoints: 1 << 20})
	require.NoError(t, err)
	feed(t, f, t0, []float64{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 9})
	require.NoError(t, f.Refit())
	fc, err := f.Forecast(3)
	require.NoError(t, err)
	assert.Equal(t, ModelSeasonalNaive, fc.Model)
	assert.Len(t, fc.Mean, 3)
	for _, v := range fc.Mean {
		assert.False(t, math.IsNaN(v))
	}
}

func TestForecaster_ConstantAndSinglePointSeries(t *testing.T) {
	for _, n := range []int{1, 2, 40, 500} {
		f, err := NewForecaster(Config{Step: time.Minute, Window: 300, RefitEvery: 50})
		require.NoError(t, err)
		feed(t, f, t0, repeat(42, n+1)) // the last step stays open
		if n >= 32 {
			waitFor(t, func() bool { return f.Stats().Fits >= 1 })
		}
		fc, err := f.Forecast(10)
		require.NoError(t, err)
		for _, v := range fc.Mean {
			assert.InDelta(t, 42, v, 1e-6)
		}
	}
}

func TestForecaster_PropertyNoPanicOnHostileStreams(t *testing.T) {
	// Random streams of out-of-order, duplicated, gapped and non-finite
	// samples must never panic, and forecasts must stay finite.
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			f, err := NewForecaster(Config{Step: time.Minute, Window: 200, RefitEvery: 40, MinPoints: 20})
			require.NoError(t, err)
			at := t0
			for range 600 {
				at = at.Add(time.Duration(r.IntN(5)-1) * time.Minute / 2)
				v := 100 + 10*r.NormFloat64()
				switch r.IntN(20) {
				case 0:
					v = math.NaN()
				case 1:
					v = math.Inf(1 - 2*r.IntN(2))
				case 2:
					at = at.Add(time.Duration(r.IntN(300)) * time.Minute)
				case 3:
					v = 1e15
				}
				require.NotPanics(t, func() { _ = f.Observe(at, v) })
			}
			require.NotPanics(t, func() { _ = f.Refit() })
			fc, err := f.Forecast(30)
			require.NoError(t, err)
			for i := range fc.Mean {
				assert.False(t, notFinite(fc.Mean[i]) || notFinite(fc.Std[i]), "step %d", i)
			}
		})
	}
}
