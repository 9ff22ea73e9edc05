package anomaly

import "math"

const (
	// flatQuantile is the low quantile of the window's log spreads that a
	// new spread must fall below to count as a collapse.
	flatQuantile = 0.001
	// flatScale sets how fast the flatline score grows with the gap: a
	// spread e^2 (about 7.4) times below the quantile scores 0.5.
	flatScale = 4
)

// flatFeature scores a collapse of the local spread below anything the
// window has seen: the gap, in natural-log units, between the log of the
// latest spread and the window's low quantile of log spreads. A series
// whose spread often collapses (one that sits on a constant between
// bursts) has a low quantile already and does not score.
type flatFeature struct {
	logs  *sortedWindow
	scale float64 // typical spread, to put a floor under zero spreads
	n     int
}

func newFlatFeature(window int) *flatFeature {
	return &flatFeature{logs: newSortedWindow(window)}
}

// observe scores spread s against the window, then adds it.
func (f *flatFeature) observe(s float64) float64 {
	if math.IsNaN(s) {
		return 0
	}
	if !math.IsInf(s, 0) {
		f.n++
		f.scale += math.Max(0.005, 1/float64(f.n)) * (s - f.scale)
	}
	x := math.Log(math.Max(s, math.Max(f.scale*1e-3, 1e-12)))
	var score float64
	if f.logs.len() > 100 {
		if gap := f.logs.quantile(flatQuantile) - x; gap > 0 {
			score = gap * gap / (gap*gap + flatScale)
		}
	}
	f.logs.add(x)
	return score
}
