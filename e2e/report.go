//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Row is one scenario's line of the suite's report.
type Row struct {
	Scenario string
	Fault    string
	Passed   []string
	Failed   []string
	// Leader, Writes and Allocs are the times to recover: a new leader,
	// the first acknowledged write, allocations back to count. Zero when
	// they do not apply.
	Leader, Writes, Allocs time.Duration
	// Extra holds scenario figures, such as the longest API gap.
	Extra string

	OK, Fail, Unknown int
	// P50 and P99 are the latencies of acknowledged writes.
	P50, P99 time.Duration
	Took     time.Duration
}

// report collects the rows of the scenarios that ran.
var report struct {
	mu   sync.Mutex // guards rows
	rows []*Row
}

// addRow records a scenario's row for the final table.
func addRow(r *Row) {
	report.mu.Lock()
	report.rows = append(report.rows, r)
	report.mu.Unlock()
}

// String formats the row as the suite prints it.
func (r *Row) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-4s %-22s fault: %s\n", r.verdict(), r.Scenario, r.Fault)
	fmt.Fprintf(&b, "     recovery: leader %s, writes %s, allocs %s", dur(r.Leader), dur(r.Writes), dur(r.Allocs))
	if r.Extra != "" {
		fmt.Fprintf(&b, ", %s", r.Extra)
	}
	fmt.Fprintf(&b, "\n     ops: %d ok, %d fail, %d unknown; write latency p50 %s p99 %s; took %s\n",
		r.OK, r.Fail, r.Unknown, dur(r.P50), dur(r.P99), r.Took.Round(time.Second))
	fmt.Fprintf(&b, "     passed: %s\n", strings.Join(r.Passed, ", "))
	if len(r.Failed) > 0 {
		fmt.Fprintf(&b, "     FAILED: %s\n", strings.Join(r.Failed, "; "))
	}
	return b.String()
}

// printReport writes the table of every scenario that ran.
func printReport(w io.Writer, total time.Duration) {
	report.mu.Lock()
	defer report.mu.Unlock()
	if len(report.rows) == 0 {
		return
	}
	sort.Slice(report.rows, func(i, k int) bool { return report.rows[i].Scenario < report.rows[k].Scenario })
	fmt.Fprintf(w, "\n=== chaos report (%d scenarios, %s, image %s) ===\n", len(report.rows), total.Round(time.Second), imageName())
	fmt.Fprintf(w, "%-22s %-4s %-8s %-8s %-8s %-22s %-7s %s\n",
		"scenario", "", "leader", "writes", "allocs", "ops ok/fail/unknown", "checks", "fault")
	for _, r := range report.rows {
		fmt.Fprintf(w, "%-22s %-4s %-8s %-8s %-8s %-22s %-7s %s\n", r.Scenario, r.verdict(),
			dur(r.Leader), dur(r.Writes), dur(r.Allocs), fmt.Sprintf("%d/%d/%d", r.OK, r.Fail, r.Unknown),
			fmt.Sprintf("%d/%d", len(r.Passed), len(r.Passed)+len(r.Failed)), r.Fault)
	}
	fmt.Fprintln(w)
	for _, r := range report.rows {
		fmt.Fprint(w, r.String())
	}
}

// verdict is PASS when every check of the row held.
func (r *Row) verdict() string {
	if len(r.Failed) > 0 {
		return "FAIL"
	}
	return "PASS"
}

func dur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.Round(10 * time.Millisecond).String()
}
