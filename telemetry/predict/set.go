package predict

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"
)

// ErrUnknownSeries is returned by Set.Forecast for a name never observed.
var ErrUnknownSeries = errors.New("unknown series")

// Set keeps one Forecaster per series name, created on first observation,
// all sharing one configuration and one RefitPool. It is safe for
// concurrent use.
type Set struct {
	cfg     Config
	ownPool bool

	mu     sync.RWMutex // guards series
	series map[string]*Forecaster
}

// NewSet returns an empty Set whose forecasters use cfg. When cfg.Pool is
// nil, the set starts its own pool of GOMAXPROCS workers, stopped by Close.
func NewSet(cfg Config) (*Set, error) {
	if _, err := cfg.withDefaults(); err != nil {
		return nil, fmt.Errorf("new set: %w", err)
	}
	s := &Set{cfg: cfg, series: map[string]*Forecaster{}}
	if cfg.Pool == nil {
		s.cfg.Pool, s.ownPool = NewRefitPool(0, 0), true
	}
	return s, nil
}

// Observe records the sample (t, v) of the named series.
func (s *Set) Observe(name string, t time.Time, v float64) error {
	f, err := s.get(name)
	if err != nil {
		return err
	}
	if err := f.Observe(t, v); err != nil {
		return fmt.Errorf("series %q: %w", name, err)
	}
	return nil
}

// Forecast returns the forecast of the named series over h steps.
func (s *Set) Forecast(name string, h int) (Forecast, error) {
	s.mu.RLock()
	f := s.series[name]
	s.mu.RUnlock()
	if f == nil {
		return Forecast{}, fmt.Errorf("forecast %q: %w", name, ErrUnknownSeries)
	}
	return f.Forecast(h)
}

// Get returns the named series' Forecaster, or nil.
func (s *Set) Get(name string) *Forecaster {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.series[name]
}

// Remove forgets the named series.
func (s *Set) Remove(name string) {
	s.mu.Lock()
	delete(s.series, name)
	s.mu.Unlock()
}

// Names returns the series names, sorted.
func (s *Set) Names() []string {
	s.mu.RLock()
	names := make([]string, 0, len(s.series))
	for n := range s.series {
		names = append(names, n)
	}
	s.mu.RUnlock()
	slices.Sort(names)
	return names
}

// Close stops the set's own refit pool, if it started one.
func (s *Set) Close() {
	if s.ownPool {
		s.cfg.Pool.Close()
	}
}

// get returns the named Forecaster, creating it on first use.
func (s *Set) get(name string) (*Forecaster, error) {
	s.mu.RLock()
	f := s.series[name]
	s.mu.RUnlock()
	if f != nil {
		return f, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f = s.series[name]; f != nil {
		return f, nil
	}
	f, err := NewForecaster(s.cfg)
	if err != nil {
		return nil, fmt.Errorf("series %q: %w", name, err)
	}
	s.series[name] = f
	return f, nil
}

// runGuarded runs job, logs and swallows a panic from it, then runs done.
func runGuarded(job, done func(), log *slog.Logger) {
	defer done()
	defer func() {
		if r := recover(); r != nil {
			log.Error("forecast refit panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	job()
}
