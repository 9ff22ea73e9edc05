package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/constellation-sched/constellation/internal/repo"
	"github.com/constellation-sched/constellation/telemetry"
)

// series is one regular series to evaluate.
type series struct {
	name   string
	group  string // "nab", "trace" or "m4"
	step   time.Duration
	y      []float64
	filled int // steps filled by interpolation over gaps
}

// dataRoot returns ../shared/data relative to the folder holding go.mod.
func dataRoot() (string, error) {
	dir, err := repo.SharedData()
	if err != nil {
		return "", fmt.Errorf("find data root: %w", err)
	}
	return dir, nil
}

// readCSV returns the rows of a csv file after its header.
func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("read %s: no data rows", path)
	}
	return rows[1:], nil
}

// loadNAB reads a NAB file, rolls its samples onto their median spacing and
// fills the gaps by linear interpolation.
func loadNAB(root, rel string) (series, error) {
	rows, err := readCSV(filepath.Join(root, "nab", "data", rel))
	if err != nil {
		return series{}, err
	}
	ts := make([]time.Time, 0, len(rows))
	vs := make([]float64, 0, len(rows))
	for _, r := range rows {
		t, err := time.Parse(time.DateTime, r[0])
		if err != nil {
			return series{}, fmt.Errorf("parse %s: %w", rel, err)
		}
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			return series{}, fmt.Errorf("parse %s: %w", rel, err)
		}
		ts, vs = append(ts, t), append(vs, v)
	}
	step := medianStep(ts)
	y, filled, err := regularise(ts, vs, step)
	if err != nil {
		return series{}, fmt.Errorf("regularise %s: %w", rel, err)
	}
	name := filepath.Base(rel)
	return series{name: name[:len(name)-4], group: "nab", step: step, y: y, filled: filled}, nil
}

// medianStep returns the median spacing of ts, rounded to a minute.
func medianStep(ts []time.Time) time.Duration {
	d := make([]time.Duration, 0, len(ts))
	for i := 1; i < len(ts); i++ {
		d = append(d, ts[i].Sub(ts[i-1]))
	}
	slices.Sort(d)
	return max(d[len(d)/2].Round(time.Minute), time.Minute)
}

// regularise rolls (ts, vs) onto step with a telemetry.Rollup, averaging
// samples of one step and interpolating over empty steps.
func regularise(ts []time.Time, vs []float64, step time.Duration) ([]float64, int, error) {
	r, err := telemetry.NewRollup(step)
	if err != nil {
		return nil, 0, err
	}
	var y []float64
	filled := 0
	push := func(b telemetry.Bucket, skipped int) {
		y = append(y, b.Mean())
		for range skipped {
			y = append(y, math.NaN())
		}
		filled += skipped
	}
	for i, t := range ts {
		b, skipped, closed, err := r.Add(t, vs[i])
		if err != nil {
			continue // late or non-finite samples are dropped
		}
		if closed {
			push(b, skipped)
		}
	}
	if b, ok := r.Open(); ok {
		push(b, 0)
	}
	interpolate(y)
	return y, filled, nil
}

// interpolate fills NaN runs in y linearly between their neighbours.
func interpolate(y []float64) {
	prev := -1
	for i, v := range y {
		if math.IsNaN(v) {
			continue
		}
		if prev >= 0 && i-prev > 1 {
			for j := prev + 1; j < i; j++ {
				y[j] = y[prev] + (v-y[prev])*float64(j-prev)/float64(i-prev)
			}
		}
		prev = i
	}
}

// loadColumn reads one numeric column of a trace file with a regular step.
func loadColumn(root, rel string, col int, name string, step time.Duration) (series, error) {
	rows, err := readCSV(filepath.Join(root, rel))
	if err != nil {
		return series{}, err
	}
	y := make([]float64, 0, len(rows))
	for _, r := range rows {
		v, err := strconv.ParseFloat(r[col], 64)
		if err != nil {
			return series{}, fmt.Errorf("parse %s: %w", rel, err)
		}
		y = append(y, v)
	}
	return series{name: name, group: "trace", step: step, y: y}, nil
}

// loadM4 reads every every-th series of the M4 hourly training set.
func loadM4(root string, every int) ([]series, error) {
	rows, err := readCSV(filepath.Join(root, "traces", "m4-hourly", "Hourly-train.csv"))
	if err != nil {
		return nil, err
	}
	var out []series
	for i := 0; i < len(rows); i += every {
		var y []float64
		for _, cell := range rows[i][1:] {
			if cell == "" {
				break
			}
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return nil, fmt.Errorf("parse m4 %s: %w", rows[i][0], err)
			}
			y = append(y, v)
		}
		out = append(out, series{name: rows[i][0], group: "m4", step: time.Hour, y: y})
	}
	return out, nil
}

// loadAll returns the evaluation's series and notes on what was skipped.
func loadAll(root string, m4Every int) ([]series, []string, error) {
	var out []series
	var notes []string
	nab := []string{"realKnownCause/nyc_taxi.csv"}
	for _, dir := range []string{"realAWSCloudwatch", "realTraffic"} {
		files, err := filepath.Glob(filepath.Join(root, "nab", "data", dir, "*.csv"))
		if err != nil {
			return nil, nil, err
		}
		for _, f := range files {
			nab = append(nab, filepath.Join(dir, filepath.Base(f)))
		}
	}
	for _, rel := range nab {
		s, err := loadNAB(root, rel)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	azure, err := loadColumn(root, "traces/azure-vm-2019-aggregate/vm_cpu_readings_month_aggregated_cpu_mem.csv",
		1, "azure_vm_cpu", 5*time.Minute)
	if err != nil {
		return nil, nil, err
	}
	google, err := loadColumn(root, "traces/google-2019-aggregate/instance_usage_grouped_300_seconds_month.csv",
		0, "google_avg_cpu", 5*time.Minute)
	if err != nil {
		return nil, nil, err
	}
	out = append(out, azure, google)
	notes = append(notes, "azure-llm-inference-2023 skipped: one hour of arrivals has no cycle to forecast at these horizons")
	if m4Every > 0 {
		m4, err := loadM4(root, m4Every)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, m4...)
	}
	return out, notes, nil
}
