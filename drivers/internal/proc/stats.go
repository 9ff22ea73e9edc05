package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/constellation-sched/constellation/drivers"
)

// clockTicks is USER_HZ, the unit of CPU times in /proc/<pid>/stat; Linux
// fixes it at 100 on every architecture Go supports.
const clockTicks = 100

// cpuMark is the group's CPU time at a moment, for computing a rate.
type cpuMark struct {
	ticks uint64
	at    time.Time
}

// Stats samples the process group: CPU use since the previous sample as a
// percentage of one core, and resident memory, summed over every live
// process in the group.
func (p *Process) Stats() *drivers.ResourceUsage {
	now := p.cpuNow()
	rss := groupRSS(p.pid)

	p.mu.Lock()
	prev := p.cpu
	p.cpu = now
	p.mu.Unlock()

	usage := &drivers.ResourceUsage{MemoryBytes: rss, Timestamp: now.at}
	if elapsed := now.at.Sub(prev.at).Seconds(); elapsed > 0 && now.ticks >= prev.ticks {
		usage.CPUPercent = float64(now.ticks-prev.ticks) / clockTicks / elapsed * 100
	}
	return usage
}

// cpuNow sums the CPU time of the group's live processes, including what
// their reaped children used.
func (p *Process) cpuNow() cpuMark {
	var ticks uint64
	forGroup(p.pid, func(f []string) {
		for _, i := range []int{14, 15, 16, 17} { // utime stime cutime cstime
			ticks += field(f, i)
		}
	})
	return cpuMark{ticks: ticks, at: time.Now()}
}

// groupRSS sums the resident set of the group's live processes in bytes.
func groupRSS(pgid int) uint64 {
	var pages uint64
	forGroup(pgid, func(f []string) { pages += field(f, 24) })
	return pages * uint64(os.Getpagesize())
}

// forGroup calls fn with the stat fields of each process whose process
// group is pgid. Fields are numbered as in proc(5), from 3 (state) on.
func forGroup(pgid int, fn func(fields []string)) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	want := strconv.Itoa(pgid)
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		f, err := readStatFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		if f[5-3] == want {
			fn(f)
		}
	}
}

// readStat returns the stat fields of process pid, numbered as in
// forGroup.
func readStat(pid int) ([]string, error) {
	return readStatFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
}

func readStatFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// The command name is in parentheses and may hold spaces.
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return nil, fmt.Errorf("parse %s: no command name", path)
	}
	f := strings.Fields(s[end+1:])
	if len(f) <= 24-3 {
		return nil, fmt.Errorf("parse %s: %d fields, want at least 24", path, len(f)+2)
	}
	return f, nil
}

// field returns stat field n (numbered as in proc(5)) as a number.
func field(f []string, n int) uint64 {
	v, _ := strconv.ParseUint(f[n-3], 10, 64)
	return v
}
