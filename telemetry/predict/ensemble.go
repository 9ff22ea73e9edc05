package predict

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Ensemble tuning.
const (
	// errorDecay is the weight an old score keeps each time a newly
	// matured forecast is folded in.
	errorDecay = 0.9
	// keepWithin drops members whose recent error exceeds the best
	// member's by more than this factor.
	keepWithin = 1.5
	// recentDecay is the weight the running one-step error of a member
	// keeps at each new value; low, so that a member that just missed a
	// level shift loses weight at once.
	recentDecay = 0.5
	// issuesPerHorizon is how many scored forecasts are issued per
	// horizon, so that each observation is checked against that many.
	issuesPerHorizon = 6
)

// TODO: in the first few steps after a level shift (or a spike) nothing
// tells the members apart yet: all of them missed the jump alike, and the
// weights stay those of the old regime until forecasts issued after it
// start to score. A member that happens to settle on the new level then
// gets no more than its usual share.
//
// Ensemble combines member models, weighting each by the inverse square of
// its recent out-of-sample error over a scoring horizon. Fit holds out the
// end of the series: members are fitted on the rest, then stream through
// the held-out part issuing forecasts that are scored as values arrive,
// and are finally refitted on the whole series. Scoring goes on after Fit
// with every Update, so the weights follow the members' recent accuracy.
// Matured scores lag by up to a horizon; a member whose errors on the
// latest values, taken relative to the other members', fall behind its
// usual standing has its scores inflated at once (see standing), so that a
// member that reverts to an old level after a shift loses its weight
// within a few steps.
type Ensemble struct {
	members []Model
	horizon int
	every   int         // steps between scored forecasts
	score   [][]float64 // recent mean absolute error by member and lead bucket; NaN if none yet
	recent  []float64   // running one-step error per member; NaN if none yet
	pending []issued
	clock   int // steps seen since the last fit
	fitted  []bool
	stand   *standing // recent against usual standing of each member
	errs    []float64 // scratch: one step's error by member
}

// issued is a forecast path waiting for the values it predicted.
type issued struct {
	at    int // clock value when issued
	paths [][]float64
	abs   [][]float64 // accumulated absolute error by member and lead bucket
}

// NewEnsemble returns an ensemble of members scored over horizon steps. It
// returns an error when there are no members or horizon is not positive.
func NewEnsemble(horizon int, members ...Model) (*Ensemble, error) {
	if len(members) == 0 {
		return nil, errors.New("new ensemble: no member models")
	}
	if horizon <= 0 {
		return nil, fmt.Errorf("new ensemble: scoring horizon %d must be positive", horizon)
	}
	return &Ensemble{
		members: members, horizon: horizon,
		every: max(1, horizon/issuesPerHorizon),
	}, nil
}

// Name returns "ensemble".
func (m *Ensemble) Name() string { return ModelEnsemble }

// Fit fits every member on y less a held-out tail, then streams the tail
// through them to score their forecasts. Members that fail to fit are left
// out; Fit fails only when all of them do.
func (m *Ensemble) Fit(y []float64, period int) error {
	if err := checkSeries(y, 2, ModelEnsemble); err != nil {
		return err
	}
	hold := min(3*m.horizon+m.horizon/2, len(y)/3)
	head, tail := y[:len(y)-hold], y[len(y)-hold:]
	m.score = make([][]float64, len(m.members))
	m.fitted = make([]bool, len(m.members))
	m.recent = make([]float64, len(m.members))
	m.pending, m.clock = nil, 0
	m.stand, m.errs = newStanding(len(m.members)), make([]float64, len(m.members))
	var errs []error
	for i, mem := range m.members {
		m.recent[i] = math.NaN()
		m.score[i] = make([]float64, leadBucket(m.horizon-1)+1)
		for b := range m.score[i] {
			m.score[i][b] = math.NaN()
		}
		if err := mem.Fit(head, period); err != nil {
			errs = append(errs, err)
			continue
		}
		m.fitted[i] = true
	}
	if len(errs) == len(m.members) {
		return fmt.Errorf("fit ensemble: %w", errors.Join(errs...))
	}
	for _, v := range tail {
		m.Update(v)
	}
	// The scores stand; the members themselves are refitted on all of y,
	// so that the combination is one of the models fitted alone.
	// TODO: this second fit doubles the cost of a fit; starting each
	// member's estimation from the parameters of its first fit would
	// save most of it, but Model has no way to pass them.
	for i, mem := range m.members {
		if m.fitted[i] && mem.Fit(y, period) != nil {
			m.fitted[i] = false
		}
	}
	if !slices.Contains(m.fitted, true) {
		return errors.New("fit ensemble: no member fits the whole series")
	}
	// Forecasts issued by the members fitted on the head are dropped.
	m.pending = m.pending[:0]
	return nil
}

// Update feeds v to every member, scores pending forecasts against it and
// issues a new scored forecast every few steps.
func (m *Ensemble) Update(v float64) {
	if m.fitted == nil {
		return
	}

	// Score the forecasts that predicted this step.
	kept := m.pending[:0]
	for _, is := range m.pending {
		j := m.clock - is.at
		for i, path := range is.paths {
			m.errs[i] = math.NaN()
			if path != nil {
				m.errs[i] = math.Abs(v - path[j])
				is.abs[i][leadBucket(j)] += m.errs[i]
			}
		}
		m.stand.add(m.errs)
		if j == m.horizon-1 {
			m.fold(is)
			continue
		}
		kept = append(kept, is)
	}
	m.pending = kept

	for i, mem := range m.members {
		m.errs[i] = math.NaN()
		if !m.fitted[i] {
			continue
		}
		if sf, ok := mem.(stepForecaster); ok {
			e := math.Abs(v - sf.Next())
			m.errs[i] = e
			if math.IsNaN(m.recent[i]) {
				m.recent[i] = e
			} else {
				m.recent[i] = recentDecay*m.recent[i] + (1-recentDecay)*e
			}
		}
		mem.Update(v)
	}
	m.stand.add(m.errs)
	m.stand.close(m.fitted)
	m.clock++
	if m.clock%m.every == 0 {
		m.issue()
	}
}

// Predict returns the weighted mean of the members' forecasts, each step
// weighted by the members' recent error at that lead. Its deviation is that
// of the weighted mixture, so that disagreement between members widens the
// interval.
func (m *Ensemble) Predict(h int) Prediction {
	p := Prediction{Mean: make([]float64, h), Std: make([]float64, h)}
	if m.fitted == nil {
		return p
	}
	preds := make([]Prediction, len(m.members))
	for i, mem := range m.members {
		if m.fitted[i] {
			preds[i] = mem.Predict(h)
		}
	}
	var w []float64
	for j := range h {
		if j == 0 || leadBucket(j) != leadBucket(j-1) {
			w = m.weightsAt(j)
		}
		var mu, second float64
		for i := range m.members {
			if w[i] == 0 {
				continue
			}
			mi, si := preds[i].Mean[j], preds[i].Std[j]
			mu += w[i] * mi
			second += w[i] * (si*si + mi*mi)
		}
		p.Mean[j] = mu
		p.Std[j] = math.Sqrt(math.Max(second-mu*mu, 0))
	}
	return p
}

// Members returns the member models.
func (m *Ensemble) Members() []Model { return m.members }

// Weights returns each member's weight for the last lead of the scoring
// horizon, summing to one.
func (m *Ensemble) Weights() []float64 { return m.weightsAt(m.horizon - 1) }

// weightsAt returns each member's weight for a forecast lead (0 for one
// step ahead), from the scores of that lead's bucket. Members without a
// score yet share the weight equally with the others; leads past the
// scoring horizon use its last bucket.
func (m *Ensemble) weightsAt(lead int) []float64 {
	w := make([]float64, len(m.members))
	if m.fitted == nil {
		return w
	}
	b := min(leadBucket(lead), leadBucket(m.horizon-1))
	score := make([]float64, len(m.members))
	slip := make([]float64, len(m.members))
	m.stand.factors(slip, m.fitted)
	best := math.Inf(1)
	for i, s := range m.score {
		score[i] = s[b]
		if b == 0 && !math.IsNaN(m.recent[i]) && !math.IsNaN(s[b]) {
			// One step ahead, the latest errors count as much as the
			// matured ones.
			score[i] = math.Sqrt((s[b]*s[b] + m.recent[i]*m.recent[i]) / 2)
		}
		score[i] *= slip[i]
		if m.fitted[i] && !math.IsNaN(score[i]) {
			best = math.Min(best, score[i])
		}
	}
	var total float64
	for i, s := range score {
		switch {
		case !m.fitted[i]:
		case math.IsInf(best, 1):
			w[i] = 1
		case math.IsNaN(s) || s > keepWithin*best:
		default:
			w[i] = 1 / math.Max(s*s, 1e-300)
		}
		total += w[i]
	}
	for i := range w {
		w[i] /= total
	}
	return w
}

// issue records every member's forecast of the next horizon steps.
func (m *Ensemble) issue() {
	is := issued{at: m.clock, paths: make([][]float64, len(m.members)), abs: make([][]float64, len(m.members))}
	for i, mem := range m.members {
		if m.fitted[i] {
			is.abs[i] = make([]float64, len(m.score[i]))
			is.paths[i] = mem.Predict(m.horizon).Mean
		}
	}
	m.pending = append(m.pending, is)
}

// fold merges a matured forecast's errors into the members' scores.
func (m *Ensemble) fold(is issued) {
	for i, path := range is.paths {
		if path == nil {
			continue
		}
		for b, abs := range is.abs[i] {
			e := abs / float64(bucketSize(b, m.horizon))
			if math.IsNaN(m.score[i][b]) {
				m.score[i][b] = e
				continue
			}
			m.score[i][b] = errorDecay*m.score[i][b] + (1-errorDecay)*e
		}
	}
}

// leadBucket returns the bucket of a forecast lead (0 for one step ahead):
// leads 0, 1-2, 3-6, 7-14 and so on, doubling.
func leadBucket(lead int) int {
	b := 0
	for lead+1 >= 2<<b {
		b++
	}
	return b
}

// bucketSize returns how many leads below horizon fall in bucket b.
func bucketSize(b, horizon int) int {
	lo, hi := (1<<b)-1, (2<<b)-1 // leads [lo, hi)
	return max(min(hi, horizon)-lo, 1)
}
