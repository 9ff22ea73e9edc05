package main

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/telemetry/predict"
)

// goModels are the models of telemetry/predict that are evaluated.
var goModels = []string{
	predict.ModelNaive, predict.ModelSeasonalNaive, predict.ModelLinear,
	predict.ModelHoltWinters, predict.ModelARIMA, predict.ModelEnsemble,
}

// task is one forecast origin of one series.
type task struct {
	s      *series
	id     string
	origin int
	train  []float64
	test   []float64
	hs     [3]int  // scored horizons: one step, short, long
	period int     // period detected on the training window
	scale  float64 // in-sample MAE of the daily seasonal naive forecast
	ref    bool    // also forecast by the statsmodels reference
}

// result is the score of one model on one task.
type result struct {
	t     *task
	model string
	mase  [3]float64 // MASE over steps 1..hs[i]
	smape float64    // sMAPE over the long horizon
	cov80 float64    // share of steps inside the 80% interval
	cov95 float64
	fit   time.Duration
	err   error
}

// buildTasks spreads origins over the last part of each series.
func buildTasks(all []series, origins, refOrigins, m4RefEvery, window int) []*task {
	var out []*task
	m4Seen := 0
	for i := range all {
		s := &all[i]
		daily := int(24 * time.Hour / s.step)
		hs := [3]int{1, max(1, int(time.Hour/s.step)), daily}
		k, kRef, season := origins, refOrigins, daily
		if s.group == "m4" {
			hs, k, kRef, season = [3]int{1, 24, 48}, 1, 0, 24
			if m4RefEvery > 0 && m4Seen%m4RefEvery == 0 {
				kRef = 1
			}
			m4Seen++
		}
		n, H := len(s.y), hs[2]
		first := max(n-n*2/5, season+H+16)
		for j := range k {
			o := n - H
			if k > 1 {
				o = first + (n-H-first)*j/(k-1)
			}
			train := s.y[max(0, o-window):o]
			out = append(out, &task{
				s: s, id: fmt.Sprintf("%s@%d", s.name, o), origin: o,
				train: train, test: s.y[o : o+H], hs: hs,
				period: predict.PrimaryPeriod(predict.DetectCycles(train,
					predict.CycleOptions{Step: s.step}), len(train), 4),
				scale: seasonalScale(train, season),
				ref:   j >= k-kRef,
			})
		}
	}
	return out
}

// runGo fits and scores every Go model on every task, in parallel.
func runGo(tasks []*task) []result {
	var (
		mu  sync.Mutex
		out []result
		wg  sync.WaitGroup
	)
	ch := make(chan *task)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range ch {
				rs := runTask(t)
				mu.Lock()
				out = append(out, rs...)
				mu.Unlock()
			}
		}()
	}
	for _, t := range tasks {
		ch <- t
	}
	close(ch)
	wg.Wait()
	return out
}

// runTask fits each Go model on t's window and scores its forecast.
func runTask(t *task) []result {
	var out []result
	for _, name := range goModels {
		m, err := predict.NewModel(name, t.hs[2])
		if err != nil {
			panic(err) // the names above are all known
		}
		start := time.Now()
		if err := m.Fit(t.train, t.period); err != nil {
			out = append(out, result{t: t, model: name, err: err})
			continue
		}
		fit := time.Since(start)
		p := m.Predict(t.hs[2])
		r := score(t, name, p.Mean, p.Std)
		r.fit = fit
		out = append(out, r)
	}
	return out
}

// score computes the metrics of one forecast of t.
func score(t *task, model string, mean, std []float64) result {
	r := result{t: t, model: model}
	var abs, smape float64
	var in80, in95 int
	z80, z95 := 1.2815515655446004, 1.959963984540054
	for j, y := range t.test {
		e := math.Abs(y - mean[j])
		abs += e
		for i, h := range t.hs {
			if j+1 == h {
				r.mase[i] = abs / float64(h) / t.scale
			}
		}
		if d := math.Abs(y) + math.Abs(mean[j]); d > 0 {
			smape += 200 * e / d
		}
		if e <= z80*std[j] {
			in80++
		}
		if e <= z95*std[j] {
			in95++
		}
	}
	n := float64(len(t.test))
	r.smape, r.cov80, r.cov95 = smape/n, float64(in80)/n, float64(in95)/n
	if notFinite(abs) {
		r.err = fmt.Errorf("non-finite forecast")
	}
	return r
}

// seasonalScale returns the mean absolute in-sample error of the seasonal
// naive forecast at lag m (lag one when y is too short), at least a tiny
// positive value.
func seasonalScale(y []float64, m int) float64 {
	if len(y) <= m {
		m = 1
	}
	var s float64
	for t := m; t < len(y); t++ {
		s += math.Abs(y[t] - y[t-m])
	}
	return math.Max(s/float64(len(y)-m), 1e-9)
}

// notFinite reports whether v is NaN or infinite.
func notFinite(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
