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
	// jumpSigma is how many of its usual one-step errors the ensemble
	// must miss a value by to start a level shift, and how far the values
	// after it must stay from the old level for the shift to stand.
	jumpSigma = 8
	// jumpSteps is how many values, the jump included, must stand off
	// the old level before the weights past the first lead follow the
	// new one (see reverting).
	jumpSteps = 2
	// jumpWindow is how many steps after a jump the shift weights hold
	// at most; by then the standing of the members has caught up.
	jumpWindow = 24
	// residualDecay is the weight the running scale of the ensemble's
	// own one-step error keeps at each new value.
	residualDecay = 0.98
)

// TODO: in the first few steps after a level shift (or a spike) nothing
// tells the members apart at the first lead: all of them missed the jump
// alike. Past the first lead a standing shift drops the members that
// revert (see track and reverting), but only when the jump is far beyond
// the ensemble's usual one-step error; a smaller shift waits for the
// members' standing to catch up.
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
// within a few steps. Before that, from the second value after a jump
// far beyond the ensemble's own usual one-step error, members whose
// forecast goes back to the old level are left out past the first lead.
type Ensemble struct {
	members   []Model
	horizon   int
	every     int         // steps between scored forecasts
	score     [][]float64 // recent mean absolute error by member and lead bucket; NaN if none yet
	recent    []float64   // running one-step error per member; NaN if none yet
	pending   []issued
	clock     int // steps seen since the last fit
	fitted    []bool
	stand     *standing // recent against usual standing of each member
	errs      []float64 // scratch: one step's error by member
	scale     ewma      // usual absolute one-step error of the ensemble
	since     int       // values seen since a standing level shift began, the jump included; 0 if none
	base      float64   // the ensemble's forecast of the jump value: the old level
	side      float64   // +1 for a shift up, -1 for one down
	jumpScale float64   // the usual one-step error when the shift began
	postSum   float64   // sum of the values since the jump, the jump included
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
	m.scale, m.since = ewma{}, 0
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
	m.track(v)

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
	var rev []bool
	if h > 1 {
		rev = m.reverting(preds, h)
	}
	for j := range h {
		if j == 0 || leadBucket(j) != leadBucket(j-1) {
			w = m.weightsAt(j)
			if j > 0 && rev != nil {
				m.dropReverting(w, rev)
			}
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

// track scores the ensemble's own one-step forecast of v, the weighted
// mean of its members' next values, before the members see v, and follows
// level shifts: a value missed by more than jumpSigma usual errors starts
// one, and it stands while the values after it stay that far from the
// level forecast before it, on the same side. It does nothing when a
// weighted member cannot tell its next value.
func (m *Ensemble) track(v float64) {
	w := m.weightsAt(0)
	var f float64
	for i, mem := range m.members {
		if w[i] == 0 {
			continue
		}
		sf, ok := mem.(stepForecaster)
		if !ok {
			return
		}
		f += w[i] * sf.Next()
	}
	r := v - f
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return
	}
	usual := m.scale.value()
	if m.since > 0 {
		if (v-m.base)*m.side > jumpSigma*m.jumpScale && m.since < jumpWindow {
			m.since++
			m.postSum += v
		} else {
			m.since = 0
		}
	}
	if m.since == 0 && usual > 0 && math.Abs(r) > jumpSigma*usual {
		m.base, m.side, m.since, m.jumpScale = f, math.Copysign(1, r), 1, usual
		m.postSum = v
	}
	if math.IsNaN(usual) {
		m.scale.add(math.Abs(r), residualDecay)
		return
	}
	// A jump is let into the usual error only up to the threshold, so
	// that it does not hide the steps after it.
	m.scale.add(math.Min(math.Abs(r), jumpSigma*usual), residualDecay)
}

// reverting returns, while a level shift stands (see track), which
// members revert past the first lead: those whose mean forecast over the
// h steps lies nearer the old level than the mean of the values since the
// jump. It returns nil when no shift stands, or when every member reverts
// and there is nothing to prefer.
func (m *Ensemble) reverting(preds []Prediction, h int) []bool {
	if m.since < jumpSteps {
		return nil
	}
	level := m.postSum / float64(m.since)
	out := make([]bool, len(m.members))
	all := true
	for i := range m.members {
		if !m.fitted[i] {
			continue
		}
		var sum float64
		for _, x := range preds[i].Mean[:h] {
			sum += x
		}
		mean := sum / float64(h)
		out[i] = math.Abs(mean-m.base) < math.Abs(mean-level)
		all = all && out[i]
	}
	if all {
		return nil
	}
	return out
}

// dropReverting zeroes the weights of reverting members and renormalises
// the rest; when those have no weight left they share it equally.
func (m *Ensemble) dropReverting(w []float64, rev []bool) {
	var total float64
	for i := range w {
		if rev[i] {
			w[i] = 0
		}
		total += w[i]
	}
	if total == 0 {
		for i := range w {
			if m.fitted[i] && !rev[i] {
				w[i] = 1
				total++
			}
		}
	}
	for i := range w {
		w[i] /= total
	}
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
