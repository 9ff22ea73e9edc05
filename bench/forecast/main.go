package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"time"

	"github.com/constellation-sched/constellation/internal/repo"
	"github.com/constellation-sched/constellation/telemetry/predict"
)

func main() {
	origins := flag.Int("origins", 3, "forecast origins per series")
	refOrigins := flag.Int("ref-origins", 1, "origins per series also forecast by statsmodels")
	m4RefEvery := flag.Int("m4-ref-every", 3, "forecast every n-th evaluated M4 series with statsmodels too")
	m4Every := flag.Int("m4-every", 6, "evaluate every n-th M4 hourly series (0: none)")
	window := flag.Int("window", 4032, "most recent steps each model is fitted on")
	noRef := flag.Bool("no-ref", false, "skip the statsmodels reference")
	only := flag.String("only", "", "evaluate only the series whose name matches this regular expression")
	perOrigin := flag.Bool("per-origin", false, "also print each origin's one-day MASE by model")
	flag.Parse()
	var keep *regexp.Regexp
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			slog.Error("bad -only pattern: give a Go regular expression", "error", err)
			os.Exit(2)
		}
		keep = re
	}
	if err := run(*origins, *refOrigins, *m4Every, *m4RefEvery, *window, *noRef, keep, *perOrigin); err != nil {
		slog.Error("forecast evaluation failed", "error", err)
		os.Exit(1)
	}
}

// run loads the series, evaluates the Go models and the reference, and
// prints the tables.
func run(origins, refOrigins, m4Every, m4RefEvery, window int, noRef bool, keep *regexp.Regexp, perOrigin bool) error {
	start := time.Now()
	root, err := dataRoot()
	if err != nil {
		return err
	}
	list, notes, err := loadAll(root, m4Every)
	if err != nil {
		return fmt.Errorf("load series: %w", err)
	}
	if keep != nil {
		list = slices.DeleteFunc(list, func(s series) bool { return !keep.MatchString(s.name) })
		if len(list) == 0 {
			return fmt.Errorf("no series matches -only %q", keep)
		}
	}
	tasks := buildTasks(list, origins, min(refOrigins, origins), m4RefEvery, window)
	fmt.Printf("forecast evaluation: %d series (%d M4 hourly, every %d-th), %d origins per series "+
		"(M4: 1), window %d steps, GOMAXPROCS %d\n", len(list), len(groupNames(list, "m4")),
		m4Every, origins, window, runtime.GOMAXPROCS(0))
	fmt.Printf("origins are subsampled: %d per series spread over the last 40%%, to keep the run short\n", origins)
	for _, n := range notes {
		fmt.Println("note:", n)
	}
	printCycles(list, tasks)

	// The reference runs in its own processes while the Go models fit.
	models := append([]string{}, goModels...)
	refCh := make(chan []result, 1)
	ok, why := referenceAvailable()
	switch {
	case noRef:
		fmt.Println("reference: skipped (-no-ref)")
		refCh <- nil
	case !ok:
		fmt.Println("reference: ABSENT,", why, "- only the Go models are scored")
		refCh <- nil
	default:
		fmt.Printf("reference: %s on the last %d origin(s) per series and one M4 series in %d "+
			"(subsampled: statsmodels fits take seconds each)\n", why, min(refOrigins, origins), m4RefEvery)
		models = append(models, "sm_holtwinters", "sm_arima")
		go func() {
			rs, err := runReference(repoRootOf(root), tasks, 2)
			if err != nil {
				fmt.Fprintln(os.Stderr, "reference failed:", err)
			}
			refCh <- rs
		}()
	}
	rs := runGo(tasks)
	rs = append(rs, <-refCh...)
	tab, failed := index(rs)

	fmt.Println("\n== per series (MASE scaled by the in-sample daily seasonal naive error; " +
		"sMAPE and coverage over one day)")
	printSeries(os.Stdout, list, tab, models)
	if perOrigin {
		printOrigins(os.Stdout, list, tab, models)
	}
	main := groupNames(list, "nab", "trace")
	fmt.Printf("\n== summary over %d NAB and trace series, all origins (ratio of mean MASE; "+
		">x: series beaten at 1 day)\n", len(main))
	printSummary(os.Stdout, tab, main, goModels, all)
	if len(models) > len(goModels) {
		fmt.Println("\n== same origins as the statsmodels reference")
		printSummary(os.Stdout, tab, main, models, refOnly)
	}
	if m4 := groupNames(list, "m4"); len(m4) > 0 {
		fmt.Printf("\n== M4 hourly subsample (%d series, h=48, MASE with m=24; published Naive2: "+
			"sMAPE 18.383, MASE 2.395 over all 414)\n", len(m4))
		printM4(os.Stdout, tab, m4, goModels, all)
		if len(models) > len(goModels) {
			fmt.Println("\n== M4 series also forecast by the statsmodels reference")
			printM4(os.Stdout, tab, m4, models, refOnly)
		}
	}
	fmt.Println()
	printTargets(os.Stdout, tab, main)
	for _, f := range failed {
		fmt.Printf("failed: %s %s: %v\n", f.t.id, f.model, f.err)
	}
	fmt.Printf("\nrun time %s\n", time.Since(start).Round(time.Second))
	return nil
}

// printCycles prints the cycles detected on each main series' last window.
func printCycles(list []series, tasks []*task) {
	last := map[string]*task{}
	for _, t := range tasks {
		last[t.s.name] = t
	}
	fmt.Println("cycles detected on the last training window (period in steps, ACF), period used:")
	for _, s := range list {
		t := last[s.name]
		if s.group == "m4" || t == nil {
			continue
		}
		cs := predict.DetectCycles(t.train, predict.CycleOptions{Step: s.step})
		desc := ""
		for i, c := range cs {
			if i == 3 {
				break
			}
			desc += fmt.Sprintf(" %d(%s,%.2f)", c.Period, c.Duration, c.ACF)
		}
		fmt.Printf("  %-34s step %-6s filled %-4d used %-5d%s\n", s.name, s.step, s.filled, t.period, desc)
	}
}

// repoRootOf returns the repository root from the data root beside it.
func repoRootOf(dataRoot string) string {
	if dir, err := repo.Root(); err == nil {
		return dir
	}
	return filepath.Dir(filepath.Dir(dataRoot))
}
