package nab

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/internal/repo"
)

// dataDir returns ../shared/data/nab relative to the module root, or skips
// the test when the shared data is not there.
func dataDir(t testing.TB) string {
	t.Helper()
	nab, err := repo.SharedData("nab")
	require.NoError(t, err)
	if _, err := os.Stat(nab); err != nil {
		t.Skipf("NAB data not found at %s", nab)
	}
	return nab
}

// publishedThresholds reads NAB's tuned thresholds for one detector.
func publishedThresholds(t *testing.T, dir, detector string) map[string]float64 {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "published", "thresholds.json"))
	require.NoError(t, err)
	var doc map[string]map[string]struct{ Threshold float64 }
	require.NoError(t, json.Unmarshal(raw, &doc))
	out := map[string]float64{}
	for profile, v := range doc[detector] {
		out[profile] = v.Threshold
	}
	return out
}

// TestScorer_MatchesPublishedScores scores NAB's own result files with
// NAB's thresholds and checks the per-profile normalised scores that NAB's
// scorer gives on these 42 files (published/subset_scores.md).
func TestScorer_MatchesPublishedScores(t *testing.T) {
	dir := dataDir(t)
	corpus, err := LoadCorpus(dir)
	require.NoError(t, err)
	require.Len(t, corpus.Files, 42)
	require.Equal(t, 69, corpus.Windows())
	profiles, err := LoadProfiles(filepath.Join(dir, "config", "profiles.json"))
	require.NoError(t, err)

	tests := []struct {
		detector string
		want     map[string]float64
	}{
		{"numenta", map[string]float64{
			"standard": 69.72, "reward_low_FP_rate": 63.17, "reward_low_FN_rate": 74.02}},
		{"windowedGaussian", map[string]float64{
			"standard": 30.53, "reward_low_FP_rate": 16.37, "reward_low_FN_rate": 36.78}},
	}
	for _, tt := range tests {
		t.Run(tt.detector, func(t *testing.T) {
			scores, err := LoadResults(corpus,
				filepath.Join(dir, "published", "results", tt.detector), tt.detector)
			require.NoError(t, err)
			thresholds := publishedThresholds(t, dir, tt.detector)
			for _, p := range profiles {
				out, err := NewScorer(corpus, p).Score(scores, thresholds[p.Name])
				require.NoError(t, err)
				assert.InDelta(t, tt.want[p.Name], out.Normalized, 0.005,
					"%s %s", tt.detector, p.Name)

				// The optimiser must do at least as well on this corpus as
				// NAB's full-corpus thresholds.
				opt, err := NewScorer(corpus, p).Optimize(scores)
				require.NoError(t, err)
				assert.GreaterOrEqual(t, opt.Raw, out.Raw-1e-9, "%s %s", tt.detector, p.Name)
			}
		})
	}
}

// TestScorer_NullAndPerfect checks the two ends of the normalised scale.
func TestScorer_NullAndPerfect(t *testing.T) {
	corpus := &Corpus{Files: []File{{
		Name:    "synthetic.csv",
		Values:  make([]float64, 1000),
		Windows: []Window{{Start: 400, End: 449}, {Start: 700, End: 759}},
	}}}
	null := make([]float64, 1000)
	perfect := make([]float64, 1000)
	perfect[400], perfect[700] = 1, 1
	late := make([]float64, 1000)
	late[449] = 1
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			s := NewScorer(corpus, p)
			out, err := s.Score([][]float64{null}, 0.5)
			require.NoError(t, err)
			assert.InDelta(t, 0, out.Normalized, 1e-9)
			assert.Equal(t, 2, out.FN)

			out, err = s.Score([][]float64{perfect}, 0.5)
			require.NoError(t, err)
			assert.InDelta(t, 100, out.Normalized, 1e-9)
			assert.Equal(t, 2, out.TP)

			// A detection at the last row of a window earns a little.
			out, err = s.Score([][]float64{late}, 0.5)
			require.NoError(t, err)
			assert.Equal(t, 1, out.TP)
			assert.Less(t, out.Normalized, 50.0)
			assert.Greater(t, out.Normalized, 0.0)
		})
	}
}

// TestScaledSigmoid_Shape checks NAB's reward curve at its landmarks.
func TestScaledSigmoid_Shape(t *testing.T) {
	tests := []struct {
		pos, want float64
	}{
		{-1, 0.98661}, {-0.5, 0.84828}, {0, 0}, {1, -0.98661}, {3, -1}, {10, -1},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			assert.InDelta(t, tt.want, scaledSigmoid(tt.pos), 1e-5)
		})
	}
	assert.False(t, math.IsNaN(scaledSigmoid(-1000)))
}
