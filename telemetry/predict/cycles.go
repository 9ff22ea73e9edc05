package predict

import (
	"math"
	"math/cmplx"
	"slices"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/stat"
)

// Cycle is a period a series repeats on.
type Cycle struct {
	Period   int           // length in steps
	ACF      float64       // autocorrelation at that lag, the cycle's strength
	Duration time.Duration // Period times the step, when the step is known
}

// CycleOptions tunes DetectCycles. Zero fields take the defaults.
type CycleOptions struct {
	// Step is the time between samples. When set, periods within 2% of an
	// hour, a day or a week are snapped to it exactly.
	Step time.Duration
	// MaxPeriod bounds the periods considered; at most, and by default,
	// half the series.
	MaxPeriod int
	// MinACF is the autocorrelation a period needs to count; default 0.2.
	MinACF float64
	// Peaks is how many periodogram peaks are checked; default 12.
	Peaks int
}

// calendar lists the periods that detection snaps to.
var calendar = []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

// DetectCycles finds the periods y repeats on, strongest first. Candidate
// periods come from the peaks of the periodogram (gonum's FFT); each is
// then refined to the lag of highest autocorrelation within its frequency
// bin, and kept when that autocorrelation reaches MinACF and is a local
// peak. NaN and infinite values are treated as gaps and interpolated over;
// the linear trend is removed first.
func DetectCycles(y []float64, opts CycleOptions) []Cycle {
	x := fillGaps(y)
	n := len(x)
	if n < 8 {
		return nil
	}
	opts = opts.withDefaults(n)
	detrend(x)
	acf, power := spectra(x)
	if acf == nil {
		return nil
	}

	// Check the strongest periodogram peaks against the autocorrelation.
	var found []Cycle
	nfft := 2 * len(power) // power covers bins 0..nfft/2
	for _, k := range topPeaks(power, opts.Peaks) {
		lo := max(2, int(math.Floor(float64(nfft)/float64(k+1))))
		hi := min(opts.MaxPeriod, int(math.Ceil(float64(nfft)/float64(max(k-1, 1)))))
		lag := bestLag(acf, lo, hi)
		if lag == 0 || acf[lag] < opts.MinACF || !localPeak(acf, lag) {
			continue
		}
		found = appendCycle(found, Cycle{Period: lag, ACF: acf[lag]})
	}
	for i := range found {
		found[i] = snap(found[i], acf, opts.Step)
	}
	slices.SortFunc(found, func(a, b Cycle) int { return cmpDesc(a.ACF, b.ACF) })
	return found
}

// PrimaryPeriod returns the period a seasonal model should use: the
// strongest of the cycles with at least minCycles repeats in n steps, or 0
// when none has.
func PrimaryPeriod(cycles []Cycle, n, minCycles int) int {
	period, best := 0, math.Inf(-1)
	for _, c := range cycles {
		if c.Period*minCycles <= n && c.ACF > best {
			period, best = c.Period, c.ACF
		}
	}
	return period
}

// withDefaults fills in the zero fields of o for a series of n values.
func (o CycleOptions) withDefaults(n int) CycleOptions {
	if o.MaxPeriod <= 0 || o.MaxPeriod > n/2 {
		o.MaxPeriod = n / 2
	}
	if o.MinACF <= 0 {
		o.MinACF = 0.2
	}
	if o.Peaks <= 0 {
		o.Peaks = 12
	}
	return o
}

// spectra returns the autocorrelation of x by lag and its periodogram by
// frequency bin of a transform of twice its length (zero padded, so that
// the autocorrelation is not circular). It returns nil for a constant x.
func spectra(x []float64) (acf, power []float64) {
	nfft := 2 * len(x)
	fft := fourier.NewFFT(nfft)
	padded := make([]float64, nfft)
	copy(padded, x)
	coef := fft.Coefficients(nil, padded)
	power = make([]float64, len(coef))
	for i, c := range coef {
		a := cmplx.Abs(c)
		power[i] = a * a
		coef[i] = complex(power[i], 0)
	}
	raw := fft.Sequence(nil, coef)
	if raw[0] <= 0 {
		return nil, nil
	}
	acf = make([]float64, len(x))
	for k := range acf {
		// Divide by the overlap so that long lags are not shrunk.
		acf[k] = raw[k] / raw[0] * float64(len(x)) / float64(len(x)-k)
	}
	return acf, power
}

// topPeaks returns the bins of the largest local maxima of power,
// excluding the zero frequency, largest first.
func topPeaks(power []float64, count int) []int {
	var peaks []int
	for k := 2; k < len(power)-1; k++ {
		if power[k] > power[k-1] && power[k] >= power[k+1] {
			peaks = append(peaks, k)
		}
	}
	slices.SortFunc(peaks, func(a, b int) int { return cmpDesc(power[a], power[b]) })
	return peaks[:min(count, len(peaks))]
}

// bestLag returns the lag in [lo, hi] with the highest autocorrelation, or
// 0 when the range is empty.
func bestLag(acf []float64, lo, hi int) int {
	hi = min(hi, len(acf)-2)
	best := 0
	for l := lo; l <= hi; l++ {
		if best == 0 || acf[l] > acf[best] {
			best = l
		}
	}
	return best
}

// localPeak reports whether the autocorrelation at lag exceeds its value
// half a period earlier, so a lag on a slow decay is not a cycle.
func localPeak(acf []float64, lag int) bool {
	return acf[lag] >= acf[lag-1] && acf[lag] >= acf[lag+1] && acf[lag] > acf[lag/2]+0.05
}

// appendCycle adds c unless a cycle within 3% of its period is already
// held, keeping the stronger of the two.
func appendCycle(found []Cycle, c Cycle) []Cycle {
	for i, f := range found {
		if math.Abs(float64(f.Period-c.Period)) <= 0.03*float64(f.Period) {
			if c.ACF > f.ACF {
				found[i] = c
			}
			return found
		}
	}
	return append(found, c)
}

// snap moves c to an hour, a day or a week when step is known and c is
// within 2% of one, and sets its duration.
func snap(c Cycle, acf []float64, step time.Duration) Cycle {
	if step <= 0 {
		return c
	}
	for _, d := range calendar {
		lag := int(d / step)
		if d%step != 0 || lag >= len(acf) {
			continue
		}
		if math.Abs(float64(lag-c.Period)) <= 0.02*float64(lag) {
			c.Period, c.ACF = lag, math.Max(acf[lag], c.ACF)
			break
		}
	}
	c.Duration = time.Duration(c.Period) * step
	return c
}

// fillGaps returns a copy of y with non-finite values replaced by linear
// interpolation between their finite neighbours (or the nearest finite
// value at the ends). It returns nil when y has no finite value.
func fillGaps(y []float64) []float64 {
	x := slices.Clone(y)
	prev := -1
	for i, v := range x {
		if notFinite(v) {
			continue
		}
		switch {
		case prev < 0:
			for j := range i {
				x[j] = v
			}
		case i-prev > 1:
			for j := prev + 1; j < i; j++ {
				f := float64(j-prev) / float64(i-prev)
				x[j] = x[prev] + f*(v-x[prev])
			}
		}
		prev = i
	}
	if prev < 0 {
		return nil
	}
	for j := prev + 1; j < len(x); j++ {
		x[j] = x[prev]
	}
	return x
}

// detrend removes the least-squares line from x in place.
func detrend(x []float64) {
	ts := make([]float64, len(x))
	for i := range ts {
		ts[i] = float64(i)
	}
	a, b := stat.LinearRegression(ts, x, nil, false)
	for i := range x {
		x[i] -= a + b*float64(i)
	}
}

// cmpDesc orders floats from largest to smallest.
func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}
