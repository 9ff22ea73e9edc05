package anomaly

import (
	"fmt"
	"sync"
	"time"
)

// Monitor watches many series at once: it keeps one detector and one
// tracker per series name, created on the series' first point. It is safe
// for concurrent use; points of different series proceed in parallel up to
// the map lookup, and points of one series are serialised.
type Monitor struct {
	kind Kind
	cfg  Config
	tcfg TrackerConfig

	mu     sync.RWMutex        // guards series
	series map[string]*watched // by series name
}

// watched is one series' detector and tracker.
type watched struct {
	mu      sync.Mutex // guards det and tracker
	det     Detector
	tracker *Tracker
}

// Observation is what a Monitor returns for one point.
type Observation struct {
	Result
	// Closed holds the event this point closed, when Done is true.
	Closed Event
	Done   bool
}

// NewMonitor returns a Monitor that runs detectors of kind with cfg and
// merges their flags with trackers configured by tcfg. It fails when
// NewDetector would.
func NewMonitor(kind Kind, cfg Config, tcfg TrackerConfig) (*Monitor, error) {
	if _, err := NewDetector(kind, cfg); err != nil {
		return nil, fmt.Errorf("new monitor: %w", err)
	}
	return &Monitor{kind: kind, cfg: cfg, tcfg: tcfg, series: map[string]*watched{}}, nil
}

// Observe scores a point of the named series.
func (m *Monitor) Observe(name string, t time.Time, v float64) Observation {
	w := m.get(name)
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.det.Observe(t, v)
	ev, done := w.tracker.Observe(t, v, r)
	return Observation{Result: r, Closed: ev, Done: done}
}

// Open returns the events in progress, by series name.
func (m *Monitor) Open() map[string]Event {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]Event{}
	for name, w := range m.series {
		w.mu.Lock()
		if ev, ok := w.tracker.Open(); ok {
			out[name] = ev
		}
		w.mu.Unlock()
	}
	return out
}

// Forget drops a series' state, for a series that will not report again.
func (m *Monitor) Forget(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.series, name)
}

// Len returns the number of series watched.
func (m *Monitor) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.series)
}

// get returns the named series' state, creating it on first use.
func (m *Monitor) get(name string) *watched {
	m.mu.RLock()
	w, ok := m.series[name]
	m.mu.RUnlock()
	if ok {
		return w
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if w, ok = m.series[name]; ok {
		return w
	}
	// NewMonitor checked that this configuration is valid.
	det, err := NewDetector(m.kind, m.cfg)
	if err != nil {
		panic(fmt.Sprintf("anomaly monitor: detector config became invalid: %v", err))
	}
	w = &watched{det: det, tracker: NewTracker(m.tcfg)}
	m.series[name] = w
	return w
}
