package wasm

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDriver_TaxiFindsBusiestHour(t *testing.T) {
	want := busiestHours(t, filepath.Join(nabDir(), "nyc_taxi.csv"))

	d := newTestDriver(t, "")
	cfg := newTaskConfig(t, map[string]any{
		"module":  modules["taxi"],
		"args":    []any{"/data/nyc_taxi.csv"},
		"mounts":  []any{map[string]any{"host": nabDir(), "guest": "/data", "readonly": true}},
		"fuel":    50_000_000_000,
		"timeout": "5m",
	})
	res := runTask(t, d, cfg)
	require.True(t, res.Successful(), "taxi ended with %+v; stderr: %s", res, readFile(t, cfg.StderrPath))

	out := readFile(t, cfg.StdoutPath)
	for _, line := range want {
		assert.Contains(t, out, line+"\n")
	}
	assert.Contains(t, out, "day 2014-07-04 passengers ")
}

// busiestHours computes, with plain Go, the lines taxi prints for the
// busiest hour overall and for each weekday.
func busiestHours(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()

	var all [24]int64
	var byDay [7][24]int64
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		require.Len(t, fields, 2)
		ts, err := time.Parse("2006-01-02 15:04:05", fields[0])
		require.NoError(t, err)
		n, err := strconv.ParseInt(fields[1], 10, 64)
		require.NoError(t, err)
		all[ts.Hour()] += n
		byDay[ts.Weekday()][ts.Hour()] += n
	}
	require.NoError(t, sc.Err())

	argmax := func(v [24]int64) int {
		best := 0
		for h, n := range v {
			if n > v[best] {
				best = h
			}
		}
		return best
	}
	h := argmax(all)
	lines := []string{fmt.Sprintf("busiest hour overall: %02d:00 passengers %d", h, all[h])}
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		h := argmax(byDay[wd])
		lines = append(lines, fmt.Sprintf("busiest hour %s: %02d:00 passengers %d", wd, h, byDay[wd][h]))
	}
	return lines
}
