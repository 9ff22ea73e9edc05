package nab

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
)

const (
	// probationPercent is the share of each file, at its start, that NAB
	// does not score.
	probationPercent = 0.15
	// maxProbation caps the probation period, as NAB does (0.15 * 5000).
	maxProbation = 750
)

// ErrScoreLength is returned when a file's scores and rows differ in number.
var ErrScoreLength = errors.New("scores and rows differ in number")

// Profile is one of NAB's cost profiles: the weights of a true positive, a
// false positive and a false negative.
type Profile struct {
	Name string
	TP   float64
	FP   float64
	FN   float64
}

// Profiles returns NAB's three profiles, in NAB's order: standard,
// reward_low_FP_rate, reward_low_FN_rate.
func Profiles() []Profile {
	return []Profile{
		{Name: "standard", TP: 1, FP: 0.11, FN: 1},
		{Name: "reward_low_FP_rate", TP: 1, FP: 0.22, FN: 1},
		{Name: "reward_low_FN_rate", TP: 1, FP: 0.11, FN: 2},
	}
}

// LoadProfiles reads NAB's config/profiles.json and returns its profiles
// in the order of Profiles.
func LoadProfiles(path string) ([]Profile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	var doc map[string]struct {
		CostMatrix struct {
			TP float64 `json:"tpWeight"`
			FP float64 `json:"fpWeight"`
			FN float64 `json:"fnWeight"`
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	var out []Profile
	for _, p := range Profiles() {
		m, ok := doc[p.Name]
		if !ok {
			return nil, fmt.Errorf("load profiles: %s lacks profile %q", path, p.Name)
		}
		cm := m.CostMatrix
		out = append(out, Profile{Name: p.Name, TP: cm.TP, FP: cm.FP, FN: cm.FN})
	}
	return out, nil
}

// row is one scorable row of a file: its anomaly score, the reward it
// earns when detected, and its window (a corpus-wide index, or -1 outside
// every window).
type row struct {
	score  float64
	reward float64
	window int
}

// Scorer scores per-row anomaly scores of a corpus under one profile.
type Scorer struct {
	corpus  *Corpus
	profile Profile
}

// NewScorer returns a scorer of c under profile p.
func NewScorer(c *Corpus, p Profile) *Scorer {
	return &Scorer{corpus: c, profile: p}
}

// Outcome is a detector's result on a corpus under one profile.
type Outcome struct {
	// Threshold is the detection threshold the outcome was scored at.
	Threshold float64
	// Raw is the summed NAB score over all files.
	Raw float64
	// Normalized is Raw mapped so that the null detector scores 0 and the
	// perfect detector 100.
	Normalized float64
	// TP, FP and FN count detected windows, detections outside windows and
	// missed windows.
	TP, FP, FN int
}

// Probation returns the number of leading rows NAB does not score in a
// file of n rows.
func Probation(n int) int {
	return min(int(math.Floor(probationPercent*float64(n))), maxProbation)
}

// Score returns the outcome of scores (one slice per corpus file, in corpus
// order) at a fixed threshold: a row is a detection when its score is at
// or above the threshold.
func (s *Scorer) Score(scores [][]float64, threshold float64) (Outcome, error) {
	rows, nwin, err := s.rows(scores)
	if err != nil {
		return Outcome{}, err
	}
	best := s.initialWindows(nwin)
	out := Outcome{Threshold: threshold}
	for _, r := range rows {
		if r.score < threshold {
			continue
		}
		if r.window < 0 {
			out.Raw += r.reward
			out.FP++
			continue
		}
		best[r.window] = math.Max(best[r.window], r.reward)
	}
	for _, b := range best {
		out.Raw += b
		if b > -s.profile.FN {
			out.TP++
		} else {
			out.FN++
		}
	}
	out.Normalized = s.Normalize(out.Raw)
	return out, nil
}

// Optimize returns the outcome at the threshold that maximises the raw
// score over the whole corpus, as NAB's optimiser does: every distinct
// score is tried as a threshold, and among equal raw scores the highest
// threshold wins. A threshold above every score (no detections) is tried
// first, at 1.1.
func (s *Scorer) Optimize(scores [][]float64) (Outcome, error) {
	rows, nwin, err := s.rows(scores)
	if err != nil {
		return Outcome{}, err
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].score > rows[j].score })

	best := s.initialWindows(nwin)
	total := -s.profile.FN * float64(nwin)
	bestThreshold, bestRaw := 1.1, total
	for i, r := range rows {
		if r.window < 0 {
			total += r.reward
		} else if r.reward > best[r.window] {
			total += r.reward - best[r.window]
			best[r.window] = r.reward
		}
		// A threshold is complete once every row with its score is in.
		last := i == len(rows)-1 || rows[i+1].score != r.score
		if last && total > bestRaw {
			bestThreshold, bestRaw = r.score, total
		}
	}
	return s.Score(scores, bestThreshold)
}

// Normalize maps a raw corpus score onto NAB's scale: 100 * (raw - null) /
// (perfect - null), where the null detector misses every window (raw
// -FN per window) and the perfect detector earns TP per window.
func (s *Scorer) Normalize(raw float64) float64 {
	n := float64(s.corpus.Windows())
	null := -s.profile.FN * n
	perfect := s.profile.TP * n
	return 100 * (raw - null) / (perfect - null)
}

// initialWindows returns the worth of each window before any detection.
func (s *Scorer) initialWindows(n int) []float64 {
	best := make([]float64, n)
	for i := range best {
		best[i] = -s.profile.FN
	}
	return best
}

// rows lays out every scorable row of the corpus with its reward, and
// returns the number of windows that hold at least one scorable row.
func (s *Scorer) rows(scores [][]float64) ([]row, int, error) {
	if len(scores) != len(s.corpus.Files) {
		return nil, 0, fmt.Errorf("score corpus: %d score slices for %d files: %w",
			len(scores), len(s.corpus.Files), ErrScoreLength)
	}
	var rows []row
	nwin := 0
	for i, f := range s.corpus.Files {
		if len(scores[i]) != len(f.Values) {
			return nil, 0, fmt.Errorf("score corpus: %s: %d scores for %d rows: %w",
				f.Name, len(scores[i]), len(f.Values), ErrScoreLength)
		}
		fileRows, used := s.sweep(f, scores[i], nwin)
		rows = append(rows, fileRows...)
		nwin += used
	}
	return rows, nwin, nil
}
