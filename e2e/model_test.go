//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"

	"github.com/constellation-sched/constellation/api"
)

// hop builds a history op on key "k" from client c between call and ret.
func hop(c int, call, ret int64, in Input, out Output) Op {
	in.Key = "k"
	return Op{Client: c, Input: in, Output: out, Call: call, Return: ret}
}

var (
	okOut      = Output{Status: StatusOK}
	unknownOut = Output{Status: StatusUnknown}
	notFound   = Output{Status: StatusOK, NotFound: true}
	conflict   = Output{Status: StatusOK, Conflict: true}
)

func readOut(st JobState) Output { return Output{Status: StatusOK, State: st} }

func TestJobModel_Histories(t *testing.T) {
	a0 := JobState{Exists: true, Token: "a", Count: 1}
	b1 := JobState{Exists: true, Token: "b", Count: 2, Version: 1}
	tests := []struct {
		name string
		ops  []Op
		want porcupine.CheckResult
	}{
		{"acknowledged put then read", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, okOut),
			hop(1, 20, 30, Input{Kind: OpRead}, readOut(a0)),
		}, porcupine.Ok},
		{"acknowledged put lost", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, okOut),
			hop(1, 20, 30, Input{Kind: OpRead}, notFound),
		}, porcupine.Illegal},
		{"stale read after a newer write", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, okOut),
			hop(0, 20, 30, Input{Kind: OpPut, Token: "b", Count: 2}, okOut),
			hop(1, 40, 50, Input{Kind: OpRead}, readOut(a0)),
		}, porcupine.Illegal},
		{"unknown put seen later", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, unknownOut),
			hop(1, 40, 50, Input{Kind: OpRead}, readOut(a0)),
		}, porcupine.Ok},
		{"unknown put never seen", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, unknownOut),
			hop(1, 40, 50, Input{Kind: OpRead}, notFound),
		}, porcupine.Ok},
		{"cas refused although the version matched", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, okOut),
			hop(1, 20, 30, Input{Kind: OpCAS, Token: "b", Count: 2, ExpectVersion: 0}, conflict),
		}, porcupine.Illegal},
		{"cas applied", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, okOut),
			hop(1, 20, 30, Input{Kind: OpCAS, Token: "b", Count: 2, ExpectVersion: 0}, okOut),
			hop(1, 40, 50, Input{Kind: OpRead}, readOut(b1)),
		}, porcupine.Ok},
		{"stop of an absent job acknowledged", []Op{
			hop(0, 0, 10, Input{Kind: OpStop}, okOut),
		}, porcupine.Illegal},
		{"stop answered not found while the job exists", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, okOut),
			hop(1, 20, 30, Input{Kind: OpStop}, notFound),
		}, porcupine.Illegal},
		{"scale then a read of the old count", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, okOut),
			hop(0, 20, 30, Input{Kind: OpScale, Count: 3}, okOut),
			hop(1, 40, 50, Input{Kind: OpRead}, readOut(a0)),
		}, porcupine.Illegal},
		{"stop makes a new version, a second stop does not", []Op{
			hop(0, 0, 10, Input{Kind: OpPut, Token: "a", Count: 1}, okOut),
			hop(0, 20, 30, Input{Kind: OpStop}, okOut),
			hop(0, 40, 50, Input{Kind: OpStop}, okOut),
			hop(1, 60, 70, Input{Kind: OpRead}, readOut(JobState{Exists: true, Token: "a", Count: 1, Stop: true, Version: 1})),
		}, porcupine.Ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &History{ops: tt.ops}
			res := porcupine.CheckOperationsTimeout(jobModel, porcupineOps(h.Ops()), 0)
			assert.Equal(t, tt.want, res)
		})
	}
}

func TestLostWrites_Detects(t *testing.T) {
	put := func(tok string) Op { return hop(0, 0, 1, Input{Kind: OpPut, Token: tok}, okOut) }
	tests := []struct {
		name    string
		ops     []Op
		wantErr bool
	}{
		{"kept", []Op{put("a"), put("b"), hop(1, 5, 6, Input{Kind: OpRead}, readOut(JobState{Exists: true, Version: 1}))}, false},
		{"absent at the end", []Op{put("a"), hop(1, 5, 6, Input{Kind: OpRead}, notFound)}, true},
		{"too few versions", []Op{put("a"), put("b"), put("c"), hop(1, 5, 6, Input{Kind: OpRead}, readOut(JobState{Exists: true}))}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := lostWrites(&History{ops: tt.ops})
			assert.Equal(t, tt.wantErr, err != nil, "error: %v", err)
		})
	}
}

func TestClassify_Outcomes(t *testing.T) {
	dial := fmt.Errorf("post: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")})
	tests := []struct {
		name    string
		err     error
		isWrite bool
		want    string
	}{
		{"success", nil, true, StatusOK},
		{"never sent", dial, true, StatusFail},
		{"refused as invalid", &api.Error{StatusCode: 400, Message: "bad"}, true, StatusFail},
		{"no leader known to forward to", &api.Error{StatusCode: 503, Message: "no cluster leader is known yet; retry shortly"}, true, StatusFail},
		{"not the leader, nothing enqueued", &api.Error{StatusCode: 503, Message: "apply x: no cluster leader"}, true, StatusFail},
		{"leadership lost during apply", &api.Error{StatusCode: 503, Message: "apply x: write outcome unknown: leadership was lost"}, true, StatusUnknown},
		{"forward could not connect", &api.Error{StatusCode: 502, Message: "forward to leader at a: dial tcp a: connect: connection refused; retry shortly"}, true, StatusFail},
		{"forward broke off", &api.Error{StatusCode: 502, Message: "forward to leader at a broke off (EOF): write outcome unknown"}, true, StatusUnknown},
		{"timeout", errors.New("context deadline exceeded"), true, StatusUnknown},
		{"failed read", errors.New("context deadline exceeded"), false, StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, classify(tt.err, tt.isWrite).Status)
		})
	}
}
