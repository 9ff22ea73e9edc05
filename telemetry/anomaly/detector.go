package anomaly

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Kind names a detector algorithm.
type Kind string

// The detector kinds NewDetector accepts.
const (
	KindZScore          Kind = "zscore"
	KindIQR             Kind = "iqr"
	KindMAD             Kind = "mad"
	KindEWMA            Kind = "ewma"
	KindIsolationForest Kind = "iforest"
	KindCombined        Kind = "combined"
)

// Kinds lists every detector kind, the combined one last.
var Kinds = []Kind{
	KindZScore, KindIQR, KindMAD, KindEWMA, KindIsolationForest, KindCombined,
}

var (
	// ErrUnknownKind is returned by NewDetector and ParseKind for a kind
	// name that is not one of Kinds.
	ErrUnknownKind = errors.New("unknown detector kind")

	// ErrBadConfig is returned by NewDetector and Config.Validate when a
	// Config field is out of range.
	ErrBadConfig = errors.New("invalid detector config")
)

// Result is a detector's verdict on one point.
type Result struct {
	// Score is how anomalous the point is, in [0, 1].
	Score float64
	// Flag is true when Score reached the configured threshold.
	Flag bool
}

// Detector scores a stream of points, one at a time, in time order. A
// Detector is not safe for concurrent use; Monitor serialises access.
type Detector interface {
	// Observe scores the point (t, v) against the points before it and then
	// adds it to the detector's state.
	Observe(t time.Time, v float64) Result
	// Kind returns the algorithm this detector runs.
	Kind() Kind
}

// ParseKind returns the Kind named s, or ErrUnknownKind.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("parse kind %q (want one of %v): %w", s, Kinds, ErrUnknownKind)
}

// NewDetector returns a detector of the given kind. Zero fields of cfg take
// their defaults from DefaultConfig.
func NewDetector(kind Kind, cfg Config) (Detector, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new %s detector: %w", kind, err)
	}
	switch kind {
	case KindZScore:
		return newZScore(cfg), nil
	case KindIQR:
		return newIQR(cfg), nil
	case KindMAD:
		return newMAD(cfg), nil
	case KindEWMA:
		return newEWMA(cfg), nil
	case KindIsolationForest:
		return newIsolationForest(cfg), nil
	case KindCombined:
		return newCombined(cfg), nil
	}
	return nil, fmt.Errorf("new detector %q (want one of %v): %w", kind, Kinds, ErrUnknownKind)
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// zScore maps a deviation measured in spreads to a score in [0, 1]: 3
// spreads score 0.5, 6 score 0.8 and 10 score about 0.92. The map is
// strictly increasing, so thresholds keep their order, and it does not
// saturate, so very large deviations stay comparable.
func zScore(z float64) float64 {
	z = math.Abs(z)
	if !finite(z) {
		if math.IsNaN(z) {
			return 0
		}
		return 1
	}
	z2 := z * z
	return z2 / (z2 + 9)
}

// deviation returns (v-center)/spread, guarding a zero spread: a value equal
// to the center deviates by 0, any other value by a large finite amount.
func deviation(v, center, spread float64) float64 {
	d := v - center
	if d == 0 {
		return 0
	}
	floor := 1e-9 * math.Max(1, math.Abs(center))
	if spread < floor {
		spread = floor
	}
	return d / spread
}

// result builds a Result from a score and the flag threshold.
func result(score, threshold float64) Result {
	score = clamp01(score)
	return Result{Score: score, Flag: score >= threshold}
}

func clamp01(x float64) float64 {
	switch {
	case math.IsNaN(x), x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x
}
