package predict

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/telemetry"
)

// ErrNoData is returned by Forecaster.Forecast before any step has closed.
var ErrNoData = errors.New("no data observed yet")

// ErrBadHorizon is returned by Forecast when the horizon is not positive.
var ErrBadHorizon = errors.New("horizon must be positive")

// Config configures a Forecaster. Only Step is required.
type Config struct {
	// Step is the time between points; samples are rolled up onto it.
	Step time.Duration
	// Window is how many steps are kept and fitted on; default 10080 (a
	// week of one-minute steps).
	Window int
	// Horizon is the number of steps over which the ensemble scores its
	// members; default 60. Forecasts may ask for any horizon.
	Horizon int
	// Models names the ensemble's members; default seasonal_naive, linear,
	// holt_winters and arima. A single name uses that model alone.
	Models []string
	// RefitEvery is the number of steps between background refits; default
	// Window/8.
	RefitEvery int
	// MinPoints is the number of steps needed before the first fit; until
	// then forecasts repeat the last value. Default 32.
	MinPoints int
	// MaxGap is the longest run of missing steps that is filled from the
	// forecast; a longer gap restarts the series. Default Window.
	MaxGap int
	// Pool runs the refits; nil runs each in its own goroutine.
	Pool *RefitPool
	// Logger receives fit failures; default slog.Default().
	Logger *slog.Logger
}

// Stats describes a Forecaster's state.
type Stats struct {
	Points  int       // steps held in the window
	Steps   uint64    // steps seen since the start or the last restart
	Filled  uint64    // steps filled in over gaps
	Fits    int       // successful fits
	Fitting bool      // a refit is in flight
	Period  int       // seasonal period in use; 0 for none
	Model   string    // model in use; empty before the first fit
	Weights []float64 // ensemble member weights, when the model is an ensemble
}

// Forecaster forecasts one series from samples observed one at a time.
// Observe costs amortised constant time: models advance their state by one
// step, and refits run on a copy of the window outside the lock, then catch
// up on the steps observed meanwhile. It is safe for concurrent use.
type Forecaster struct {
	cfg Config

	mu       sync.Mutex // guards the fields below
	rollup   *telemetry.Rollup
	ring     *telemetry.Ring
	next     time.Time // start of the first step not closed yet
	model    Model
	period   int
	sinceFit int
	fitting  bool
	gen      uint64 // bumped on restart; fits of older generations are dropped
	fits     int
	filled   uint64
}

// NewForecaster returns a Forecaster for cfg. It returns an error when the
// step is not positive or a model name is unknown.
func NewForecaster(cfg Config) (*Forecaster, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r, err := telemetry.NewRollup(cfg.Step)
	if err != nil {
		return nil, fmt.Errorf("new forecaster: %w", err)
	}
	return &Forecaster{cfg: cfg, rollup: r, ring: telemetry.NewRing(cfg.Window)}, nil
}

// Observe records the sample (t, v). Samples must come in time order; ones
// within the same step are averaged. A NaN or infinite value, or a sample
// older than the open step, is dropped with an error wrapping
// telemetry.ErrNonFinite or telemetry.ErrLate.
func (f *Forecaster) Observe(t time.Time, v float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, skipped, closed, err := f.rollup.Add(t, v)
	if err != nil {
		return fmt.Errorf("observe: %w", err)
	}
	if !closed {
		return nil
	}
	f.pushLocked(b.Mean())
	f.next = b.Start.Add(f.cfg.Step)
	if skipped > 0 {
		f.fillLocked(skipped)
	}
	f.maybeRefitLocked()
	return nil
}

// Forecast returns the forecast of the h steps after the last closed one.
// Before the first fit it repeats the last value.
func (f *Forecaster) Forecast(h int) (Forecast, error) {
	if h <= 0 {
		return Forecast{}, fmt.Errorf("forecast %d steps: %w", h, ErrBadHorizon)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ring.Len() == 0 {
		return Forecast{}, fmt.Errorf("forecast: %w", ErrNoData)
	}
	p, name := f.predictLocked(h)
	return Forecast{
		Start: f.next, Step: f.cfg.Step, Mean: p.Mean, Std: p.Std,
		Model: name, Period: f.period,
	}, nil
}

// Refit fits the models on the current window now, in the caller's
// goroutine; observation goes on meanwhile.
func (f *Forecaster) Refit() error {
	f.mu.Lock()
	y, seq, gen := f.ring.Values(nil), f.ring.Seq(), f.gen
	f.mu.Unlock()
	if len(y) == 0 {
		return fmt.Errorf("refit: %w", ErrNoData)
	}
	return f.fit(y, seq, gen)
}

// Stats returns a description of the forecaster's state.
func (f *Forecaster) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := Stats{
		Points: f.ring.Len(), Steps: f.ring.Seq(), Filled: f.filled,
		Fits: f.fits, Fitting: f.fitting, Period: f.period,
	}
	if f.model != nil {
		st.Model = f.model.Name()
		if e, ok := f.model.(*Ensemble); ok {
			st.Weights = e.Weights()
		}
	}
	return st
}

// pushLocked appends one step's value to the window and the model.
func (f *Forecaster) pushLocked(v float64) {
	f.ring.Push(v)
	if f.model != nil {
		f.model.Update(v)
	}
	f.sinceFit++
}

// fillLocked fills n missing steps from the forecast, or restarts the
// series when the gap is longer than MaxGap.
func (f *Forecaster) fillLocked(n int) {
	if n > f.cfg.MaxGap {
		f.cfg.Logger.Debug("gap too long, restarting series", "missing_steps", n)
		f.ring.Reset()
		f.model, f.period, f.sinceFit = nil, 0, 0
		f.gen++
		f.next = f.next.Add(time.Duration(n) * f.cfg.Step)
		return
	}
	p, _ := f.predictLocked(n)
	for _, v := range p.Mean {
		f.pushLocked(v)
	}
	f.filled += uint64(n)
	f.next = f.next.Add(time.Duration(n) * f.cfg.Step)
}

// predictLocked returns the model's forecast, or a naive one before the
// first fit or when the model's is not finite.
func (f *Forecaster) predictLocked(h int) (Prediction, string) {
	if f.model != nil {
		p := f.model.Predict(h)
		if allFinite(p.Mean) && allFinite(p.Std) {
			return p, f.model.Name()
		}
	}
	last, _ := f.ring.Last()
	sigma := 0.0
	if n := f.ring.Len(); n >= 2 {
		sigma = math.Abs(last - f.ring.At(n-2))
	}
	return constPrediction(h, last, sigma), ModelNaive
}

// maybeRefitLocked starts a background refit when one is due.
func (f *Forecaster) maybeRefitLocked() {
	if f.fitting || f.ring.Len() < f.cfg.MinPoints {
		return
	}
	if f.model != nil && f.sinceFit < f.cfg.RefitEvery {
		return
	}
	y, seq, gen := f.ring.Values(nil), f.ring.Seq(), f.gen
	f.fitting = true
	job := func() {
		if err := f.fit(y, seq, gen); err != nil {
			f.cfg.Logger.Debug("forecast refit failed", "error", err)
		}
	}
	if f.cfg.Pool == nil {
		go runGuarded(job, f.doneFitting, f.cfg.Logger)
		return
	}
	if !f.cfg.Pool.TrySubmit(func() { runGuarded(job, f.doneFitting, f.cfg.Logger) }) {
		// The pool is saturated; try again at the next step.
		f.fitting = false
	}
}

// doneFitting clears the in-flight flag.
func (f *Forecaster) doneFitting() {
	f.mu.Lock()
	f.fitting = false
	f.mu.Unlock()
}

// fit fits a fresh model on y, the window as of sequence number seq, then
// installs it after replaying the steps observed since.
func (f *Forecaster) fit(y []float64, seq, gen uint64) error {
	period := PrimaryPeriod(DetectCycles(y, CycleOptions{Step: f.cfg.Step}), len(y), 4)
	m, err := f.newModel()
	if err != nil {
		return err
	}
	if err := m.Fit(y, period); err != nil {
		return fmt.Errorf("refit on %d steps: %w", len(y), err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if gen != f.gen {
		return nil
	}
	n := f.ring.Len()
	behind := int(min(f.ring.Seq()-seq, uint64(n)))
	for i := n - behind; i < n; i++ {
		m.Update(f.ring.At(i))
	}
	f.model, f.period, f.sinceFit = m, period, behind
	f.fits++
	return nil
}

// newModel builds the configured model, unfitted.
func (f *Forecaster) newModel() (Model, error) {
	if len(f.cfg.Models) == 1 {
		return NewModel(f.cfg.Models[0], f.cfg.Horizon)
	}
	members := make([]Model, 0, len(f.cfg.Models))
	for _, name := range f.cfg.Models {
		m, err := NewModel(name, f.cfg.Horizon)
		if err != nil {
			return nil, err
		}
		members = append(members, m)
	}
	return NewEnsemble(f.cfg.Horizon, members...)
}

// withDefaults validates c and fills in its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.Step <= 0 {
		return c, fmt.Errorf("forecaster config: step %v must be positive", c.Step)
	}
	setDefault(&c.Window, 10080)
	setDefault(&c.Horizon, 60)
	setDefault(&c.RefitEvery, max(c.Window/8, 1))
	setDefault(&c.MinPoints, 32)
	setDefault(&c.MaxGap, c.Window)
	if len(c.Models) == 0 {
		c.Models = []string{ModelSeasonalNaive, ModelLinear, ModelHoltWinters, ModelARIMA}
	}
	for _, name := range c.Models {
		if _, err := NewModel(name, c.Horizon); err != nil {
			return c, fmt.Errorf("forecaster config: %w", err)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// setDefault sets *v to d when it is not positive.
func setDefault(v *int, d int) {
	if *v <= 0 {
		*v = d
	}
}

// allFinite reports whether every value of xs is finite.
func allFinite(xs []float64) bool {
	for _, x := range xs {
		if notFinite(x) {
			return false
		}
	}
	return true
}
