package anomaly

import "math"

// logSpread tracks the logarithm of a local spread with an exponentially
// weighted mean and variance, and scores a new spread by how far its
// logarithm lies from that mean. A spread that collapses (a flatline) and
// one that grows (a new oscillation) both score high.
type logSpread struct {
	alpha float64
	mean  float64
	vari  float64
	scale float64 // typical spread, to put a floor under zero spreads
	n     int
}

func newLogSpread(alpha float64) *logSpread {
	return &logSpread{alpha: alpha}
}

// observe scores spread s against the history, then adds it.
func (l *logSpread) observe(s float64) float64 {
	l.scale += math.Max(l.alpha, 1/float64(l.n+1)) * (s - l.scale)
	floor := math.Max(l.scale*1e-3, 1e-12)
	x := math.Log(math.Max(s, floor))
	l.n++
	if l.n == 1 {
		l.mean = x
		return 0
	}
	var score float64
	if l.n > 20 {
		score = zScore(deviation(x, l.mean, math.Sqrt(l.vari)+0.1))
	}
	// Until 1/alpha spreads are in, weigh them equally (a running mean and
	// variance); after that, exponentially.
	a := math.Max(l.alpha, 1/float64(l.n))
	d := x - l.mean
	l.mean += a * d
	l.vari = (1 - a) * (l.vari + a*d*d)
	return score
}
