package predict

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Model names accepted by NewModel and Config.Models.
const (
	ModelNaive            = "naive"
	ModelSeasonalNaive    = "seasonal_naive"
	ModelLinear           = "linear"
	ModelHoltWinters      = "holt_winters"
	ModelHWAdditive       = "hw_additive"
	ModelHWMultiplicative = "hw_multiplicative"
	ModelARIMA            = "arima"
	ModelEnsemble         = "ensemble"
)

// ErrTooShort is returned by Model.Fit when the series is too short for the
// model; the caller should wait for more data or pick a simpler model.
var ErrTooShort = errors.New("series too short for model")

// ErrNonFinite is returned by Model.Fit when the series holds NaN or an
// infinity; fill or drop such values first.
var ErrNonFinite = errors.New("series holds a non-finite value")

// ErrUnknownModel is returned by NewModel for a name it does not know.
var ErrUnknownModel = errors.New("unknown model")

// Model is a forecasting model over a regular series.
//
// Fit estimates the model on y, whose seasonal period is period (0 or 1 for
// none), and leaves the model's state at the end of y. Update advances the
// state by one new value in constant time, without refitting. Predict
// returns the forecast of the next h values.
type Model interface {
	Name() string
	Fit(y []float64, period int) error
	Update(v float64)
	Predict(h int) Prediction
}

// stepForecaster is a model that gives its next one-step forecast in
// constant time. The ensemble uses it to follow each member's latest
// errors.
type stepForecaster interface {
	Next() float64
}

// Prediction holds a model's forecast: the expected value of each future
// step and the standard deviation of its error.
type Prediction struct {
	Mean []float64
	Std  []float64
}

// NewModel returns an unfitted model by name; the names are the Model*
// constants. An ensemble built here has the default members (see
// DefaultMembers) and scores them over horizon steps.
func NewModel(name string, horizon int) (Model, error) {
	switch name {
	case ModelNaive:
		return NewNaive(), nil
	case ModelSeasonalNaive:
		return NewSeasonalNaive(), nil
	case ModelLinear:
		return NewLinear(), nil
	case ModelHoltWinters:
		return NewHoltWinters(SeasonAuto), nil
	case ModelHWAdditive:
		return NewHoltWinters(SeasonAdditive), nil
	case ModelHWMultiplicative:
		return NewHoltWinters(SeasonMultiplicative), nil
	case ModelARIMA:
		return NewARIMA(ARIMABounds{}), nil
	case ModelEnsemble:
		return NewEnsemble(horizon, DefaultMembers()...)
	}
	return nil, fmt.Errorf("new model %q (want one of %v): %w", name, ModelNames(), ErrUnknownModel)
}

// ModelNames returns every name NewModel accepts.
func ModelNames() []string {
	return []string{
		ModelNaive, ModelSeasonalNaive, ModelLinear, ModelHoltWinters,
		ModelHWAdditive, ModelHWMultiplicative, ModelARIMA, ModelEnsemble,
	}
}

// DefaultMembers returns the models an ensemble combines by default.
func DefaultMembers() []Model {
	return []Model{NewSeasonalNaive(), NewLinear(), NewHoltWinters(SeasonAuto), NewARIMA(ARIMABounds{})}
}

// checkSeries returns an error when y is shorter than minLen or holds a
// non-finite value.
func checkSeries(y []float64, minLen int, model string) error {
	if len(y) < minLen {
		return fmt.Errorf("fit %s on %d points (need %d): %w", model, len(y), minLen, ErrTooShort)
	}
	if i := slices.IndexFunc(y, notFinite); i >= 0 {
		return fmt.Errorf("fit %s: value %v at index %d: %w", model, y[i], i, ErrNonFinite)
	}
	return nil
}

// notFinite reports whether v is NaN or infinite.
func notFinite(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// constPrediction returns a prediction of h steps at level v whose error
// grows like a random walk with one-step deviation sigma.
func constPrediction(h int, v, sigma float64) Prediction {
	p := Prediction{Mean: make([]float64, h), Std: make([]float64, h)}
	for i := range h {
		p.Mean[i] = v
		p.Std[i] = sigma * math.Sqrt(float64(i+1))
	}
	return p
}

// usablePeriod returns period when n holds at least cycles full periods of
// it, and 0 otherwise.
func usablePeriod(period, n, cycles int) int {
	if period < 2 || n < cycles*period {
		return 0
	}
	return period
}
