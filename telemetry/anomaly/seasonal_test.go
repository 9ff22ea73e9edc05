package anomaly

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// dailyStep is a noisy series, one sample every five minutes, that sits at
// 10 and jumps to 20 from 09:00 to 17:00 every day except on skipDay.
func dailyStep(t0 time.Time, i, skipDay int, rng *rand.Rand) (time.Time, float64) {
	ts := t0.Add(time.Duration(i) * 5 * time.Minute)
	v := 10.0
	if h := ts.Hour(); h >= 9 && h < 17 && i/288 != skipDay {
		v = 20
	}
	return ts, v + rng.NormFloat64()*0.5
}

func TestSeasonalFeature_MissingDailyJump(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const skip = 9
	rng := rand.New(rand.NewPCG(1, 2))
	f := newSeasonalFeature(2016)
	var normalMax, missing float64
	for i := range 10 * 288 {
		ts, v := dailyStep(t0, i, skip, rng)
		s := f.observe(ts, v)
		switch {
		case i/288 == skip-1:
			normalMax = max(normalMax, s)
		case i/288 == skip && ts.Hour() >= 10 && ts.Hour() < 12:
			missing = max(missing, s)
		}
	}
	assert.Less(t, normalMax, 0.6, "an ordinary day must not score")
	assert.Greater(t, missing, 0.9, "the missing jump must score high")
}

func TestSeasonalFeature_NoContext(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		at   func(i int) time.Time
	}{
		{"less than a day of history", func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }},
		{"repeated timestamps", func(int) time.Time { return t0 }},
		{"timestamps going backwards", func(i int) time.Time { return t0.Add(-time.Duration(i) * time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSeasonalFeature(500)
			for i := range 2000 {
				v := float64(i % 7)
				if i == 1500 {
					v = 1e6
				}
				assert.Zero(t, f.observe(tt.at(i), v), "point %d", i)
			}
		})
	}
}
