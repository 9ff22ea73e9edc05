package predict

import (
	"math"

	"gonum.org/v1/gonum/optimize"
)

// minimize runs Nelder-Mead on f from x0 with at most maxEval evaluations
// and returns the best point found. A failed run returns x0, which every
// caller accepts as a usable, if poor, starting point.
func minimize(f func(x []float64) float64, x0 []float64, maxEval int) []float64 {
	p := optimize.Problem{Func: func(x []float64) float64 {
		v := f(x)
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}}
	settings := &optimize.Settings{
		FuncEvaluations: maxEval,
		Converger:       &optimize.FunctionConverge{Relative: 1e-7, Iterations: 40},
		Concurrent:      1,
	}
	res, err := optimize.Minimize(p, x0, settings, &optimize.NelderMead{SimplexSize: 1})
	if res == nil || (err != nil && res.F >= f(x0)) {
		return x0
	}
	return res.X
}

// logistic maps the real line onto (lo, hi).
func logistic(x, lo, hi float64) float64 {
	return lo + (hi-lo)/(1+math.Exp(-x))
}

// logit is the inverse of logistic.
func logit(v, lo, hi float64) float64 {
	u := (v - lo) / (hi - lo)
	u = math.Min(math.Max(u, 1e-9), 1-1e-9)
	return math.Log(u / (1 - u))
}
