//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// checkTimeout bounds the linearizability search of one history.
const checkTimeout = 2 * time.Minute

// jobModel is the sequential specification of one job, as the servers
// promise it: a register holding the job's spec (its token, count and
// stop flag) and its version, which grows by one with every change of
// spec. Histories are partitioned by job ID.
var jobModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(Input).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return JobState{} },
	Step: func(state, input, output any) (bool, any) {
		return step(state.(JobState), input.(Input), output.(Output))
	},
	Equal: func(a, b any) bool { return a.(JobState) == b.(JobState) },
	DescribeOperation: func(input, output any) string {
		in, out := input.(Input), output.(Output)
		return describeOp(in, out)
	},
	DescribeState: func(state any) string { return state.(JobState).String() },
}

// step applies one operation to the register. An unknown operation is
// allowed to take effect (the checker may place it last, where its
// effect is never observed, which covers "did not happen").
func step(st JobState, in Input, out Output) (bool, JobState) {
	unknown := out.Status == StatusUnknown
	switch in.Kind {
	case OpRead:
		if out.NotFound {
			return !st.Exists, st
		}
		return out.State == st, st
	case OpPut:
		return true, st.withSpec(in.Token, in.Count, false)
	case OpCAS:
		matches := (in.ExpectVersion < 0 && !st.Exists) ||
			(st.Exists && in.ExpectVersion == int64(st.Version))
		switch {
		case out.Conflict:
			return !matches, st
		case matches:
			return true, st.withSpec(in.Token, in.Count, false)
		default:
			return unknown, st
		}
	case OpScale:
		switch {
		case out.NotFound:
			return !st.Exists, st
		case out.Conflict || !st.Exists:
			// The server's own read-then-CAS lost a race: no change. An
			// acknowledged scale of an absent job is impossible.
			return out.Conflict || unknown, st
		}
		return true, st.withSpec(st.Token, in.Count, false)
	case OpStop:
		if out.NotFound {
			return !st.Exists, st
		}
		if !st.Exists {
			return unknown, st
		}
		return true, st.withSpec(st.Token, st.Count, true)
	}
	return false, st
}

// withSpec returns the state after a write of the given spec: a new
// version when the spec changed, the same one otherwise.
func (s JobState) withSpec(token string, count int, stop bool) JobState {
	next := JobState{Exists: true, Token: token, Count: count, Stop: stop, Version: s.Version}
	switch {
	case !s.Exists:
		next.Version = 0
	case next != s:
		next.Version = s.Version + 1
	}
	return next
}

func describeOp(in Input, out Output) string {
	var what string
	switch in.Kind {
	case OpRead:
		what = "read()"
	case OpPut:
		what = fmt.Sprintf("put(%s n=%d)", in.Token, in.Count)
	case OpCAS:
		what = fmt.Sprintf("cas(v%d→%s n=%d)", in.ExpectVersion, in.Token, in.Count)
	case OpScale:
		what = fmt.Sprintf("scale(n=%d)", in.Count)
	case OpStop:
		what = "stop()"
	}
	switch {
	case out.NotFound:
		return what + " → not found"
	case out.Conflict:
		return what + " → conflict"
	case in.Kind == OpRead && out.Status == StatusOK:
		return what + " → " + out.State.String()
	}
	return what + " → " + out.Status
}

// Verdict is the result of checking one history.
type Verdict struct {
	Result porcupine.CheckResult
	// Ops is the number of operations checked (failed ones take no part).
	Ops int
	// Path is where the visualisation was written, when the check failed.
	Path string
}

// CheckLinearizable checks h against the job model. When the history is
// not linearizable (or the search timed out) it writes the porcupine
// visualisation and the raw history under e2e/out/<test>/.
func CheckLinearizable(t *testing.T, h *History) Verdict {
	ops := porcupineOps(h.Ops())
	res, info := porcupine.CheckOperationsVerbose(jobModel, ops, checkTimeout)
	v := Verdict{Result: res, Ops: len(ops)}
	keep := os.Getenv("CHAOS_KEEP_HISTORY") != ""
	if res == porcupine.Ok && !keep {
		return v
	}
	dir := outDir(t)
	if res == porcupine.Ok {
		writeHistory(t, dir, h)
		return v
	}
	v.Path = filepath.Join(dir, "linearizability.html")
	if err := porcupine.VisualizePath(jobModel, info, v.Path); err != nil {
		t.Logf("write visualisation: %v", err)
	}
	writeHistory(t, dir, h)
	return v
}

// writeHistory saves the raw history as JSON in dir.
func writeHistory(t *testing.T, dir string, h *History) {
	buf, err := json.MarshalIndent(h.Ops(), "", " ")
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "history.json"), buf, 0o644)
	}
	if err != nil {
		t.Logf("write history: %v", err)
	}
}

// porcupineOps converts the recorded operations: failed ones are dropped
// (they took no effect and observed nothing) and unknown ones return at
// infinity.
func porcupineOps(recorded []Op) []porcupine.Operation {
	out := make([]porcupine.Operation, 0, len(recorded))
	for _, op := range recorded {
		if op.Output.Status == StatusFail {
			continue
		}
		ret := op.Return
		if op.Output.Status == StatusUnknown {
			ret = math.MaxInt64
		}
		out = append(out, porcupine.Operation{
			ClientId: op.Client, Input: op.Input, Call: op.Call, Output: op.Output, Return: ret,
		})
	}
	return out
}
