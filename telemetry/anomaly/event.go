package anomaly

import (
	"math"
	"sort"
	"time"
)

// EventKind says what shape an anomalous event has.
type EventKind string

// The kinds of event a Tracker reports.
const (
	// EventSpike is a short excursion above the baseline.
	EventSpike EventKind = "spike"
	// EventDrop is a short excursion below the baseline.
	EventDrop EventKind = "drop"
	// EventLevelShift is a lasting move of the level away from the baseline.
	EventLevelShift EventKind = "level_shift"
	// EventFlatline is a signal that stops varying.
	EventFlatline EventKind = "flatline"
	// EventOscillation is a new swing, larger than the baseline's, around
	// an unchanged level.
	EventOscillation EventKind = "oscillation"
)

// Event is one anomalous episode: the flags it merges, its kind and the time
// range it covers.
type Event struct {
	Kind EventKind
	// Start is the time of the first flag.
	Start time.Time
	// End is the last time the event was flagged or, for a flatline, level
	// shift or oscillation, the last time the tracker saw it go on.
	End time.Time
	// Peak is the time of the highest score, PeakScore that score and
	// PeakValue the value observed then.
	Peak      time.Time
	PeakScore float64
	PeakValue float64
	// Flags is how many flagged points the event merged.
	Flags int
}

// TrackerConfig sets how a Tracker merges flags. Zero fields take the
// defaults of DefaultTrackerConfig.
type TrackerConfig struct {
	// Gap is how many unflagged points close an event; flags closer than
	// that belong to one event.
	Gap int
	// History is how many points before an event form its baseline.
	History int
}

// DefaultTrackerConfig returns the defaults: a gap of 30 points and a
// baseline of 256 points.
func DefaultTrackerConfig() TrackerConfig {
	return TrackerConfig{Gap: 30, History: 256}
}

// Tracker merges a detector's flags into events and classifies them. It is
// fed every point with its Result, in time order. Not safe for concurrent
// use. An event stays open while flags come less than Gap points apart or
// while the values stay displaced from (or flatter than) the baseline
// before it.
//
// TODO: a level shift keeps its event open until the values return, so an
// event that never ends is reported only by Open or Flush; re-basing the
// baseline after a lasting shift would close it.
type Tracker struct {
	cfg     TrackerConfig
	history *ring       // values before the open event, or recent values
	cur     *Event      // the open event, nil when none
	base    baseline    // baseline of the open event
	times   []time.Time // points since the open event began
	values  []float64
	quiet   int // points since the last flag or abnormal value
	flatRun int // consecutive steps far smaller than the baseline's
}

// baseline summarises the values before an event.
type baseline struct {
	median float64
	spread float64 // robust spread of the values
	step   float64 // median absolute step between neighbours
}

// NewTracker returns a Tracker; zero fields of cfg take their defaults.
func NewTracker(cfg TrackerConfig) *Tracker {
	d := DefaultTrackerConfig()
	if cfg.Gap <= 0 {
		cfg.Gap = d.Gap
	}
	if cfg.History <= 2 {
		cfg.History = d.History
	}
	return &Tracker{cfg: cfg, history: newRing(cfg.History)}
}

// Observe feeds one point and its Result. It returns the event that this
// point closed, if any: an event closes after Gap unflagged points.
func (tr *Tracker) Observe(t time.Time, v float64, r Result) (Event, bool) {
	if !finite(v) {
		return Event{}, false
	}
	if tr.cur == nil {
		if !r.Flag || tr.history.len() < 3 {
			tr.history.push(v)
			return Event{}, false
		}
		tr.open(t, v, r)
		return Event{}, false
	}

	tr.times = append(tr.times, t)
	tr.values = append(tr.values, v)
	if r.Flag {
		tr.quiet = 0
		tr.cur.Flags++
		tr.cur.End = t
		if r.Score > tr.cur.PeakScore {
			tr.cur.Peak, tr.cur.PeakScore, tr.cur.PeakValue = t, r.Score, v
		}
		return Event{}, false
	}
	if tr.ongoing(v) {
		// The values still differ from the baseline: the same event.
		tr.quiet = 0
		tr.cur.End = t
		return Event{}, false
	}
	tr.quiet++
	if tr.quiet < tr.cfg.Gap {
		return Event{}, false
	}
	return tr.close(), true
}

// Open returns the event in progress, classified on what the tracker has
// seen so far.
func (tr *Tracker) Open() (Event, bool) {
	if tr.cur == nil {
		return Event{}, false
	}
	ev := *tr.cur
	ev.Kind, ev.End = tr.classify()
	return ev, true
}

// Flush closes and returns the event in progress, if any.
func (tr *Tracker) Flush() (Event, bool) {
	if tr.cur == nil {
		return Event{}, false
	}
	return tr.close(), true
}

// open starts an event at a flagged point and freezes its baseline.
func (tr *Tracker) open(t time.Time, v float64, r Result) {
	tr.base = newBaseline(tr.history)
	tr.cur = &Event{Start: t, End: t, Peak: t, PeakScore: r.Score, PeakValue: v, Flags: 1}
	tr.times = append(tr.times[:0], t)
	tr.values = append(tr.values[:0], v)
	tr.quiet = 0
	tr.flatRun = 0
}

// ongoing reports whether v shows the open event still going on: a value
// displaced from the baseline, or the latest of minLasting steps far
// smaller than the baseline's.
func (tr *Tracker) ongoing(v float64) bool {
	b := tr.base
	spread := math.Max(b.spread, 1e-9*math.Max(1, math.Abs(b.median)))
	prev := tr.values[len(tr.values)-2]
	if b.step > 0 && math.Abs(v-prev) < flatStepRatio*b.step {
		tr.flatRun++
	} else {
		tr.flatRun = 0
	}
	return math.Abs(v-b.median) > displacedSpreads*spread || tr.flatRun >= minLasting
}

// close classifies the open event, returns it and resumes the history with
// the event's values.
func (tr *Tracker) close() Event {
	ev := *tr.cur
	ev.Kind, ev.End = tr.classify()
	for _, v := range tr.values {
		tr.history.push(v)
	}
	tr.cur = nil
	return ev
}

// newBaseline summarises the values in r.
func newBaseline(r *ring) baseline {
	vals := make([]float64, r.len())
	steps := make([]float64, 0, r.len())
	for i := range vals {
		vals[i] = r.at(i)
		if i > 0 {
			steps = append(steps, math.Abs(vals[i]-vals[i-1]))
		}
	}
	sort.Float64s(vals)
	sort.Float64s(steps)
	m := quantileSorted(vals, 0.5)
	spread := (quantileSorted(vals, 0.9) - quantileSorted(vals, 0.1)) / 2.563
	return baseline{median: m, spread: spread, step: quantileSorted(steps, 0.5)}
}

// quantileSorted returns the q-quantile of sorted xs by linear
// interpolation.
func quantileSorted(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	pos := q * float64(len(xs)-1)
	lo := int(pos)
	hi := min(lo+1, len(xs)-1)
	return xs[lo] + (pos-float64(lo))*(xs[hi]-xs[lo])
}
