package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/constellation-sched/constellation/telemetry/anomaly/nab"
)

// published is NAB's scoreboard: the full 58-file scores
// (published/final_results.json) and the same detectors re-scored on the
// 42 files here (published/subset_scores.md), standard / low FP / low FN.
var published = []struct {
	name     string
	full     [3]float64
	shared42 [3]float64
}{
	{"ARTime", [3]float64{74.85, 65.15, 80.36}, [3]float64{71.46, 61.65, 77.11}},
	{"Numenta HTM", [3]float64{70.10, 63.12, 74.32}, [3]float64{69.72, 63.17, 74.02}},
	{"contextOSE", [3]float64{69.90, 66.98, 73.18}, [3]float64{67.28, 63.33, 71.66}},
	{"knncad", [3]float64{57.99, 43.41, 64.81}, [3]float64{52.34, 40.12, 58.56}},
	{"randomCutForest", [3]float64{51.72, 38.36, 59.75}, [3]float64{51.19, 32.75, 57.41}},
	{"twitterADVec", [3]float64{47.06, 33.61, 53.50}, [3]float64{40.54, 29.46, 46.35}},
	{"windowedGaussian", [3]float64{39.65, 20.87, 47.41}, [3]float64{30.53, 16.37, 36.78}},
}

// printTable writes our entries and the published scoreboard.
func printTable(w io.Writer, entries []entry, profiles []nab.Profile) {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	fmt.Fprintf(w, "\nNAB normalised scores on these 42 files (threshold optimised per profile over the corpus)\n")
	fmt.Fprintf(w, "%-40s %9s %9s %9s  %-22s %s\n", "detector", "standard", "low_FP", "low_FN",
		"std: thr TP/FP/FN", "wall time (per point, all cores)")
	fmt.Fprintln(w, strings.Repeat("-", 112))
	for _, e := range entries {
		fmt.Fprintf(w, "%-40s", e.name)
		for _, o := range e.outcomes {
			fmt.Fprintf(w, " %9.2f", o.Normalized)
		}
		std := e.outcomes[0]
		fmt.Fprintf(w, "  %-22s", fmt.Sprintf("%.4f %d/%d/%d", std.Threshold, std.TP, std.FP, std.FN))
		if e.points > 0 {
			fmt.Fprintf(w, " %.2fs (%.2fµs)", e.elapsed.Seconds(),
				float64(e.elapsed.Microseconds())/float64(e.points))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\nPublished NAB scoreboard (NAB's own thresholds)\n")
	fmt.Fprintf(w, "%-40s %26s   %26s\n", "detector", "shared 42 files (std/FP/FN)", "full 58 files (std/FP/FN)")
	fmt.Fprintln(w, strings.Repeat("-", 100))
	for _, p := range published {
		fmt.Fprintf(w, "%-40s %8.2f %8.2f %8.2f   %8.2f %8.2f %8.2f\n", p.name,
			p.shared42[0], p.shared42[1], p.shared42[2], p.full[0], p.full[1], p.full[2])
	}
}
