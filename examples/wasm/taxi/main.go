// Command taxi summarises NAB's NYC taxi series: the number of taxi
// passengers in New York City in 30-minute buckets, July 2014 to January
// 2015. It prints the passenger total of every day, then the busiest hour of
// the day over the whole series and for each weekday.
//
// Usage: taxi [CSV]. CSV defaults to /data/nyc_taxi.csv, where the example
// job mounts NAB's realKnownCause folder read-only. The file has the header
// "timestamp,value" and one row per bucket, such as
// "2014-07-01 00:30:00,8127".
//
// The busiest hour is the hour of the day (00 to 23) with the most passengers
// summed over every day of the series; ties go to the earlier hour.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// defaultPath is where the example job mounts the series.
const defaultPath = "/data/nyc_taxi.csv"

// layout is the timestamp format of NAB's csv files.
const layout = "2006-01-02 15:04:05"

// summary holds the totals the program prints.
type summary struct {
	days    []string
	perDay  map[string]int64
	perHour [24]int64
	// perWeekdayHour is indexed by time.Weekday, then hour of the day.
	perWeekdayHour [7][24]int64
	rows           int
}

func main() {
	path := defaultPath
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	s, err := summarise(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "taxi: %v\n", err)
		os.Exit(1)
	}
	report(s)
}

// summarise reads the csv at path and adds up its passengers by day, by hour
// of the day and by weekday and hour.
func summarise(path string) (*summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open series: %w", err)
	}
	defer f.Close()

	s := &summary{perDay: make(map[string]int64)}
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue // header
		}
		ts, value, ok := strings.Cut(sc.Text(), ",")
		if !ok {
			return nil, fmt.Errorf("line %d: want timestamp,value", line+1)
		}
		t, err := time.Parse(layout, ts)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line+1, err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line+1, err)
		}
		s.add(t, n)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read series: %w", err)
	}
	if s.rows == 0 {
		return nil, fmt.Errorf("%s holds no rows", path)
	}
	return s, nil
}

// add counts n passengers in the bucket starting at t.
func (s *summary) add(t time.Time, n int64) {
	day := t.Format("2006-01-02")
	if _, seen := s.perDay[day]; !seen {
		s.days = append(s.days, day)
	}
	s.perDay[day] += n
	s.perHour[t.Hour()] += n
	s.perWeekdayHour[t.Weekday()][t.Hour()] += n
	s.rows++
}

// report prints the summary.
func report(s *summary) {
	fmt.Printf("rows %d days %d\n", s.rows, len(s.days))
	for _, day := range s.days {
		fmt.Printf("day %s passengers %d\n", day, s.perDay[day])
	}

	h := busiest(s.perHour)
	fmt.Printf("busiest hour overall: %02d:00 passengers %d\n", h, s.perHour[h])

	// Weekdays from Monday, as a timetable reads.
	for i := 1; i <= 7; i++ {
		wd := time.Weekday(i % 7)
		h := busiest(s.perWeekdayHour[wd])
		fmt.Printf("busiest hour %s: %02d:00 passengers %d\n",
			wd, h, s.perWeekdayHour[wd][h])
	}
}

// busiest returns the hour with the largest total, the earliest on a tie.
func busiest(totals [24]int64) int {
	best := 0
	for h := 1; h < 24; h++ {
		if totals[h] > totals[best] {
			best = h
		}
	}
	return best
}
