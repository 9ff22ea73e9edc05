//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// OpKind names an operation of the workload.
type OpKind string

// Operations of the workload.
const (
	// OpRead reads a job (GET /v1/job/{id}, linearizable).
	OpRead OpKind = "read"
	// OpPut registers a new spec of a job, whatever is stored.
	OpPut OpKind = "put"
	// OpCAS registers a new spec only if the job is still at the version
	// the user read (EnforceIndex with the JobModifyIndex read).
	OpCAS OpKind = "cas"
	// OpScale sets the count of the job's group.
	OpScale OpKind = "scale"
	// OpStop stops the job.
	OpStop OpKind = "stop"
)

// Op statuses.
const (
	// StatusOK is an answered operation: acknowledged, or refused with a
	// definite answer about the state (Output.NotFound, Output.Conflict).
	StatusOK = "ok"
	// StatusFail is an operation that certainly did not take effect: the
	// request never reached a server, or the servers refused it as
	// invalid, or answered that nothing was applied (no leader).
	StatusFail = "fail"
	// StatusUnknown is an operation that may or may not have taken
	// effect: it timed out, or the server answered that its outcome is
	// unknown (leadership lost mid-apply), or with an error that does not
	// say.
	StatusUnknown = "unknown"
)

// Input is what an operation asked.
type Input struct {
	Kind OpKind
	Key  string
	// Token is the unique spec marker a put or cas writes.
	Token string
	// Count is the group count a put or scale writes.
	Count int
	// ExpectVersion is the version a cas expects, -1 for "absent".
	ExpectVersion int64
}

// Output is what an operation got back.
type Output struct {
	Status string
	// Conflict is set when the servers refused an index mismatch.
	Conflict bool
	// NotFound is set when the servers answered that the job is absent.
	NotFound bool
	// State is what a successful read saw.
	State JobState
	Err   string
}

// JobState is the register a job is modelled as.
type JobState struct {
	Exists  bool
	Token   string
	Stop    bool
	Count   int
	Version uint64
}

// String describes the state for the visualisation.
func (s JobState) String() string {
	if !s.Exists {
		return "absent"
	}
	return fmt.Sprintf("v%d %s n=%d stop=%t", s.Version, s.Token, s.Count, s.Stop)
}

// Op is one recorded operation. Call and Return are nanoseconds since the
// history began; an unknown op returns at infinity for the checker.
type Op struct {
	Client int
	Node   string
	Input  Input
	Output Output
	Call   int64
	Return int64
}

// History records the operations of a workload, safe for concurrent use.
type History struct {
	start time.Time

	mu  sync.Mutex // guards ops
	ops []Op
}

// NewHistory returns an empty history starting now.
func NewHistory() *History { return &History{start: time.Now()} }

// Since returns the history's clock: nanoseconds since it began.
func (h *History) Since(t time.Time) int64 { return int64(t.Sub(h.start)) }

// Now returns the history's clock now.
func (h *History) Now() int64 { return h.Since(time.Now()) }

// record appends a completed operation.
func (h *History) record(op Op) {
	h.mu.Lock()
	h.ops = append(h.ops, op)
	h.mu.Unlock()
}

// Ops returns a copy of the recorded operations.
func (h *History) Ops() []Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Op(nil), h.ops...)
}

// Counts returns how many operations ended ok, fail and unknown.
func (h *History) Counts() (ok, fail, unknown int) {
	for _, op := range h.Ops() {
		switch op.Output.Status {
		case StatusOK:
			ok++
		case StatusFail:
			fail++
		default:
			unknown++
		}
	}
	return ok, fail, unknown
}

// FirstOKWriteAfter returns the history time of the first acknowledged
// write invoked at or after t, and false when there is none.
func (h *History) FirstOKWriteAfter(t int64) (int64, bool) {
	best, found := int64(0), false
	for _, op := range h.Ops() {
		out := op.Output
		if op.Input.Kind == OpRead || out.Status != StatusOK || out.Conflict || out.NotFound || op.Call < t {
			continue
		}
		if !found || op.Return < best {
			best, found = op.Return, true
		}
	}
	return best, found
}

// notApplied reports whether a 5xx answer says the write was certainly
// not applied: a 503 (no leader, or this server is not the leader and
// nothing was enqueued in Raft), or a 502 whose forward to the leader
// failed to connect. An answer that says the outcome is unknown (the
// leader lost its leadership, or a forward broke off mid-request) is not.
func notApplied(ae *api.Error) bool {
	if strings.Contains(ae.Message, "outcome unknown") {
		return false
	}
	switch ae.StatusCode {
	case http.StatusServiceUnavailable:
		return true
	case http.StatusBadGateway:
		return strings.Contains(ae.Message, "connect:")
	}
	return false
}

// classify turns an API error into the op's output. Only errors that say
// the write cannot have happened are failures; anything else is unknown.
func classify(err error, isWrite bool) Output {
	if err == nil {
		return Output{Status: StatusOK}
	}
	out := Output{Status: StatusUnknown, Err: err.Error()}
	var ae *api.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound:
		out.Status, out.NotFound = StatusOK, true
	case errors.As(err, &ae) && ae.StatusCode == http.StatusConflict:
		out.Status, out.Conflict = StatusOK, true
	case errors.As(err, &ae) && ae.StatusCode < 500:
		out.Status = StatusFail
	case errors.As(err, &ae) && notApplied(ae):
		out.Status = StatusFail
	case errors.As(err, &oe) && oe.Op == "dial":
		out.Status = StatusFail // the request never left
	case !isWrite:
		out.Status = StatusFail // a read that failed changed nothing
	case errors.Is(err, context.DeadlineExceeded):
		out.Status = StatusUnknown
	}
	return out
}

// WriteLatency returns the median and the 99th percentile latency of the
// acknowledged writes.
func (h *History) WriteLatency() (p50, p99 time.Duration) {
	var lat []int64
	for _, op := range h.Ops() {
		if op.Input.Kind != OpRead && op.Output.Status == StatusOK {
			lat = append(lat, op.Return-op.Call)
		}
	}
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	return time.Duration(lat[len(lat)/2]), time.Duration(lat[len(lat)*99/100])
}
