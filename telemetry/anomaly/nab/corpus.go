package nab

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// timeLayout is the timestamp layout of NAB data and result files.
const timeLayout = "2006-01-02 15:04:05"

// ErrBadWindow is returned by LoadCorpus when a labelled window bound is
// not a timestamp of its file.
var ErrBadWindow = errors.New("window bound is not a row of its file")

// Window is a labelled anomaly window, as row indexes into its file; both
// ends are inclusive.
type Window struct {
	Start, End int
}

// File is one labelled series of the corpus.
type File struct {
	// Name is the path relative to data/, such as
	// "realKnownCause/nyc_taxi.csv".
	Name       string
	Timestamps []time.Time
	Values     []float64
	Windows    []Window
}

// Corpus is a set of labelled series, sorted by name.
type Corpus struct {
	Files []File
}

// Windows returns the number of labelled windows in the corpus.
func (c *Corpus) Windows() int {
	n := 0
	for _, f := range c.Files {
		n += len(f.Windows)
	}
	return n
}

// LoadCorpus reads every file listed in dir/labels/combined_windows.json
// from dir/data, with its windows.
func LoadCorpus(dir string) (*Corpus, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "labels", "combined_windows.json"))
	if err != nil {
		return nil, fmt.Errorf("load nab corpus: %w", err)
	}
	var labels map[string][][2]string
	if err := json.Unmarshal(raw, &labels); err != nil {
		return nil, fmt.Errorf("load nab corpus: parse windows: %w", err)
	}
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	sort.Strings(names)

	c := &Corpus{}
	for _, name := range names {
		ts, vs, err := readSeries(filepath.Join(dir, "data", name), "value")
		if err != nil {
			return nil, fmt.Errorf("load nab corpus: %w", err)
		}
		wins, err := windowIndexes(ts, labels[name])
		if err != nil {
			return nil, fmt.Errorf("load nab corpus: %s: %w", name, err)
		}
		c.Files = append(c.Files, File{Name: name, Timestamps: ts, Values: vs, Windows: wins})
	}
	return c, nil
}

// LoadResults reads a NAB detector's result files, laid out as
// dir/<category>/<detector>_<file>.csv, and returns the anomaly_score
// column of each corpus file, in corpus order.
func LoadResults(c *Corpus, dir, detector string) ([][]float64, error) {
	out := make([][]float64, len(c.Files))
	for i, f := range c.Files {
		category, base := filepath.Split(f.Name)
		path := filepath.Join(dir, category, detector+"_"+base)
		ts, scores, err := readSeries(path, "anomaly_score")
		if err != nil {
			return nil, fmt.Errorf("load %s results: %w", detector, err)
		}
		if len(ts) != len(f.Timestamps) {
			return nil, fmt.Errorf("load %s results: %s has %d rows, data has %d",
				detector, path, len(ts), len(f.Timestamps))
		}
		out[i] = scores
	}
	return out, nil
}

// readSeries reads the timestamp column and the named value column of a
// csv file.
func readSeries(path, column string) ([]time.Time, []float64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read series: %w", err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read series %s: header: %w", path, err)
	}
	tcol, vcol := indexOf(header, "timestamp"), indexOf(header, column)
	if tcol < 0 || vcol < 0 {
		return nil, nil, fmt.Errorf("read series %s: want columns timestamp and %s, have %v",
			path, column, header)
	}

	var ts []time.Time
	var vs []float64
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return ts, vs, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read series %s: %w", path, err)
		}
		t, err := time.Parse(timeLayout, rec[tcol])
		if err != nil {
			return nil, nil, fmt.Errorf("read series %s line %d: %w", path, line, err)
		}
		v, err := strconv.ParseFloat(rec[vcol], 64)
		if err != nil {
			return nil, nil, fmt.Errorf("read series %s line %d: %w", path, line, err)
		}
		ts = append(ts, t)
		vs = append(vs, v)
	}
}

// windowIndexes turns window bounds ("2014-10-30 15:30:00.000000") into
// row indexes of ts.
func windowIndexes(ts []time.Time, bounds [][2]string) ([]Window, error) {
	index := make(map[time.Time]int, len(ts))
	for i, t := range ts {
		index[t] = i
	}
	wins := make([]Window, 0, len(bounds))
	for _, b := range bounds {
		var w [2]int
		for k, s := range b {
			t, err := time.Parse(timeLayout, strings.TrimSuffix(s, ".000000"))
			if err != nil {
				return nil, fmt.Errorf("window bound %q: %w", s, err)
			}
			i, ok := index[t]
			if !ok {
				return nil, fmt.Errorf("window bound %q: %w", s, ErrBadWindow)
			}
			w[k] = i
		}
		wins = append(wins, Window{Start: w[0], End: w[1]})
	}
	sort.Slice(wins, func(i, j int) bool { return wins[i].Start < wins[j].Start })
	return wins, nil
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}
