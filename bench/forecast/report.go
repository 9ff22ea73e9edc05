package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// agg is a model's metrics on one series, averaged over origins.
type agg struct {
	mase         [3]float64
	smape        float64
	cov80, cov95 float64
	fit          time.Duration
	n            int
}

// table indexes results by series and model.
type table map[string]map[string][]result

// index groups the successful results; it returns the failures apart.
func index(rs []result) (table, []result) {
	t := table{}
	var failed []result
	for _, r := range rs {
		if r.err != nil {
			failed = append(failed, r)
			continue
		}
		if t[r.t.s.name] == nil {
			t[r.t.s.name] = map[string][]result{}
		}
		t[r.t.s.name][r.model] = append(t[r.t.s.name][r.model], r)
	}
	return t, failed
}

// average returns the mean metrics of the results that keep selects.
func average(rs []result, keep func(*task) bool) (agg, bool) {
	var a agg
	for _, r := range rs {
		if !keep(r.t) {
			continue
		}
		for i := range a.mase {
			a.mase[i] += r.mase[i]
		}
		a.smape += r.smape
		a.cov80 += r.cov80
		a.cov95 += r.cov95
		a.fit += r.fit
		a.n++
	}
	if a.n == 0 {
		return a, false
	}
	f := float64(a.n)
	for i := range a.mase {
		a.mase[i] /= f
	}
	a.smape, a.cov80, a.cov95 = a.smape/f, a.cov80/f, a.cov95/f
	a.fit /= time.Duration(a.n)
	return a, true
}

// all selects every task; refOnly the ones the reference forecast.
func all(*task) bool       { return true }
func refOnly(t *task) bool { return t.ref }

// printSeries prints one block of rows per series of the main groups.
func printSeries(w io.Writer, list []series, tab table, models []string) {
	fmt.Fprintf(w, "%-34s %-16s %4s %8s %8s %8s %7s %6s %6s %9s\n",
		"series", "model", "orig", "MASE@1", "MASE@1h", "MASE@1d", "sMAPE", "cov80", "cov95", "fit")
	for _, s := range list {
		if s.group == "m4" {
			continue
		}
		for _, m := range models {
			a, ok := average(tab[s.name][m], all)
			if !ok {
				continue
			}
			fmt.Fprintf(w, "%-34s %-16s %4d %8.3f %8.3f %8.3f %7.2f %6.2f %6.2f %9s\n",
				s.name, m, a.n, a.mase[0], a.mase[1], a.mase[2], a.smape, a.cov80, a.cov95,
				a.fit.Round(time.Millisecond))
		}
	}
}

// printOrigins prints the one-day MASE of each model at each origin of the
// main series, one row per origin.
func printOrigins(w io.Writer, list []series, tab table, models []string) {
	fmt.Fprintf(w, "\n== per origin (MASE@1d)\n%-44s", "series@origin")
	for _, m := range models {
		fmt.Fprintf(w, " %14s", m)
	}
	fmt.Fprintln(w)
	for _, s := range list {
		if s.group == "m4" {
			continue
		}
		byOrigin := map[int]map[string]float64{}
		var origins []int
		for _, m := range models {
			for _, r := range tab[s.name][m] {
				if byOrigin[r.t.origin] == nil {
					byOrigin[r.t.origin] = map[string]float64{}
					origins = append(origins, r.t.origin)
				}
				byOrigin[r.t.origin][m] = r.mase[2]
			}
		}
		slices.Sort(origins)
		for _, o := range origins {
			fmt.Fprintf(w, "%-44s", fmt.Sprintf("%s@%d", s.name, o))
			for _, m := range models {
				if v, ok := byOrigin[o][m]; ok {
					fmt.Fprintf(w, " %14.3f", v)
				} else {
					fmt.Fprintf(w, " %14s", "-")
				}
			}
			fmt.Fprintln(w)
		}
	}
}

// relative returns, at each horizon, the mean over series of model's MASE
// divided by the mean of base's (the way M4 relates a method to a
// benchmark), the number of series where model beats base at the long
// horizon, and the number of series compared.
func relative(tab table, names []string, model, base string, keep func(*task) bool) ([3]float64, int, int) {
	var sa, sb [3]float64
	wins, n := 0, 0
	for _, s := range names {
		a, ok1 := average(tab[s][model], keep)
		b, ok2 := average(tab[s][base], keep)
		if !ok1 || !ok2 {
			continue
		}
		for i := range sa {
			sa[i] += a.mase[i]
			sb[i] += b.mase[i]
		}
		if a.mase[2] < b.mase[2] {
			wins++
		}
		n++
	}
	var r [3]float64
	for i := range r {
		r[i] = sa[i] / math.Max(sb[i], 1e-12)
	}
	return r, wins, n
}

// printSummary prints each model against naive and seasonal naive over the
// series named, on the tasks keep selects.
func printSummary(w io.Writer, tab table, names, models []string, keep func(*task) bool) {
	fmt.Fprintf(w, "%-16s %-20s %-20s %7s %7s %7s %6s %6s %9s\n", "model",
		"vs naive 1/1h/1d", "vs snaive 1/1h/1d", ">naive", ">snaive", "sMAPE", "cov80", "cov95", "fit")
	for _, m := range models {
		rn, wn, n := relative(tab, names, m, "naive", keep)
		rs, ws, _ := relative(tab, names, m, "seasonal_naive", keep)
		if n == 0 {
			continue
		}
		var sm, c80, c95 float64
		var fit time.Duration
		for _, s := range names {
			a, _ := average(tab[s][m], keep)
			sm, c80, c95, fit = sm+a.smape, c80+a.cov80, c95+a.cov95, fit+a.fit
		}
		f := float64(n)
		fmt.Fprintf(w, "%-16s %6.3f/%6.3f/%6.3f %6.3f/%6.3f/%6.3f %3d/%-3d %3d/%-3d %7.2f %6.2f %6.2f %9s\n",
			m, rn[0], rn[1], rn[2], rs[0], rs[1], rs[2], wn, n, ws, n, sm/f, c80/f, c95/f,
			(fit / time.Duration(n)).Round(time.Millisecond))
	}
}

// printTargets checks the evaluation's targets at the long horizon and
// prints the outcome of each.
func printTargets(w io.Writer, tab table, names []string) {
	worst, worstSeries := 0.0, ""
	for _, s := range names {
		e, ok := average(tab[s]["ensemble"], all)
		if !ok {
			continue
		}
		best := math.Inf(1)
		for _, m := range goModels[:len(goModels)-1] {
			if a, ok := average(tab[s][m], all); ok {
				best = math.Min(best, a.mase[2])
			}
		}
		if r := e.mase[2] / best; r > worst {
			worst, worstSeries = r, s
		}
	}
	fmt.Fprintln(w, "targets (ratio of mean MASE over series, long horizon = 1 day):")
	for _, m := range goModels[1:] {
		r, wins, n := relative(tab, names, m, "naive", all)
		fmt.Fprintf(w, "  %-16s beats naive: %-5v (ratio %.3f, wins %d/%d series)\n", m, r[2] < 1, r[2], wins, n)
	}
	r, wins, n := relative(tab, names, "ensemble", "seasonal_naive", all)
	fmt.Fprintf(w, "  ensemble beats seasonal naive on most series: %v (%d/%d, ratio %.3f)\n",
		wins*2 > n, wins, n, r[2])
	fmt.Fprintf(w, "  ensemble vs best single model per series: worst ratio %.3f (%s)\n", worst, worstSeries)
}

// printM4 prints the M4 subsample in the competition's terms: sMAPE and
// MASE over the 48-step horizon, averaged over series.
func printM4(w io.Writer, tab table, names, models []string, keep func(*task) bool) {
	fmt.Fprintf(w, "%-16s %7s %7s %6s %6s %4s\n", "model", "sMAPE", "MASE", "cov80", "cov95", "n")
	for _, m := range models {
		var sm, ms, c80, c95 float64
		n := 0
		for _, s := range names {
			if a, ok := average(tab[s][m], keep); ok {
				sm, ms, c80, c95 = sm+a.smape, ms+a.mase[2], c80+a.cov80, c95+a.cov95
				n++
			}
		}
		if n == 0 {
			continue
		}
		f := float64(n)
		fmt.Fprintf(w, "%-16s %7.3f %7.3f %6.2f %6.2f %4d\n", m, sm/f, ms/f, c80/f, c95/f, n)
	}
}

// groupNames returns the names of the series in the given groups.
func groupNames(list []series, groups ...string) []string {
	var out []string
	for _, s := range list {
		if slices.Contains(groups, s.group) {
			out = append(out, s.name)
		}
	}
	return out
}

// secondsDuration converts seconds to a duration.
func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
