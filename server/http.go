package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/fsm"
)

// maxBlockingWait bounds ?wait= on blocking reads.
const maxBlockingWait = 5 * time.Minute

// codedError is an error with the HTTP status to answer it with.
type codedError struct {
	code int
	msg  string
}

func (e *codedError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) error {
	return &codedError{code: code, msg: fmt.Sprintf(format, args...)}
}

// handlerFunc answers a request with a value to encode as JSON or an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (any, error)

// Handler returns the server's HTTP API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	read := func(pattern string, h handlerFunc) { mux.Handle(pattern, s.wrap(h, false)) }
	write := func(pattern string, h handlerFunc) { mux.Handle(pattern, s.wrap(h, true)) }
	local := func(pattern string, h handlerFunc) { mux.Handle(pattern, s.wrapLocal(h)) }

	read("GET /v1/jobs", s.jobList)
	write("POST /v1/jobs", s.jobRegister)
	write("PUT /v1/jobs", s.jobRegister)
	read("GET /v1/job/{id}", s.jobRead)
	write("DELETE /v1/job/{id}", s.jobStop)
	write("POST /v1/job/{id}/scale", s.jobScale)
	read("GET /v1/job/{id}/versions", s.jobVersions)
	read("GET /v1/job/{id}/allocations", s.jobAllocs)
	read("GET /v1/job/{id}/evaluations", s.jobEvals)

	read("GET /v1/allocations", s.allocList)
	read("GET /v1/allocation/{id}", s.allocRead)
	read("GET /v1/evaluations", s.evalList)
	read("GET /v1/evaluation/{id}", s.evalRead)

	read("GET /v1/nodes", s.nodeList)
	read("GET /v1/node/{id}", s.nodeRead)
	read("GET /v1/node/{id}/allocations", s.nodeAllocs)
	write("POST /v1/node/{id}/drain", s.nodeDrain)
	write("POST /v1/node/{id}/eligibility", s.nodeEligibility)
	read("GET /v1/gpus", s.gpuList)

	write("POST /v1/client/register", s.clientRegister)
	write("PUT /v1/client/heartbeat/{id}", s.clientHeartbeat)
	write("POST /v1/client/allocations", s.clientAllocUpdate)
	write("POST /v1/client/telemetry", s.clientTelemetry)
	mux.HandleFunc("GET /v1/client/fs/logs/{id}", s.clientLogs)
	write("GET /v1/telemetry", s.telemetryQuery)

	local("GET /v1/status/leader", s.statusLeader)
	local("GET /v1/status/peers", s.statusPeers)
	local("GET /v1/agent/self", s.agentSelf)
	local("GET /v1/agent/members", s.agentMembers)
	read("GET /v1/operator/raft/configuration", s.raftConfiguration)

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "no API route %s %s: see the README for the /v1/ routes", r.Method, r.URL.Path))
	})
	return mux
}

// wrap answers a request on the leader: a follower forwards it, unless it
// is a read that allows stale answers. Reads on the leader are made
// linearizable first.
func (s *Server) wrap(h handlerFunc, isWrite bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.config.MaxBodyBytes)
		_, stale := r.URL.Query()["stale"]
		local := !isWrite && stale
		if !local {
			if !s.leaderReady() {
				s.forward(w, r)
				return
			}
			if !isWrite {
				if err := s.consistentRead(); err != nil {
					writeError(w, errorf(http.StatusServiceUnavailable, "%v: retry shortly", err))
					return
				}
			}
		}
		s.serve(w, r, h)
	})
}

// wrapLocal answers from this agent, wherever the leader is.
func (s *Server) wrapLocal(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h) })
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, h handlerFunc) {
	out, err := h(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// forward proxies a request to the leader's HTTP API.
func (s *Server) forward(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(api.HeaderForwarded) != "" {
		writeError(w, errorf(http.StatusServiceUnavailable, "no cluster leader: this server is not the leader either; retry shortly"))
		return
	}
	addr := s.leaderHTTPAddr()
	if addr == "" {
		writeError(w, errorf(http.StatusServiceUnavailable, "no cluster leader is known yet; retry shortly"))
		return
	}
	target, err := url.Parse("http://" + addr)
	if err != nil {
		writeError(w, err)
		return
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		var oe *net.OpError
		if r.Method == http.MethodGet || (errors.As(err, &oe) && oe.Op == "dial") {
			writeError(w, errorf(http.StatusBadGateway, "forward to leader at %s: %v; retry shortly", addr, err))
			return
		}
		writeError(w, errorf(http.StatusBadGateway, "forward to leader at %s broke off (%v): %v", addr, err, ErrOutcomeUnknown))
	}
	r.Header.Set(api.HeaderForwarded, s.config.Name)
	proxy.ServeHTTP(w, r)
}

// blockingRead runs a read against the state, waiting first when the
// request carries ?index=, and sets the index header.
func (s *Server) blockingRead(w http.ResponseWriter, r *http.Request, tables []string,
	run func(snap *fsm.Snapshot) (any, error)) (any, error) {
	minIndex, wait, err := parseBlocking(r)
	if err != nil {
		return nil, err
	}
	// Without ?index= the read must not wait: a context that has already
	// ended makes Blocking run at once on the state as it is.
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	if minIndex == 0 {
		cancel()
	}
	defer cancel()
	out, index, err := s.State().Blocking(ctx, minIndex, tables, run)
	w.Header().Set(api.HeaderIndex, strconv.FormatUint(index, 10))
	w.Header().Set(api.HeaderKnownLeader, strconv.FormatBool(s.leaderHTTPAddr() != "" || s.isLeader()))
	return out, err
}

func parseBlocking(r *http.Request) (uint64, time.Duration, error) {
	q := r.URL.Query()
	var index uint64
	if v := q.Get("index"); v != "" {
		var err error
		if index, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, 0, errorf(http.StatusBadRequest, "index %q is not a whole number", v)
		}
	}
	wait := maxBlockingWait
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, 0, errorf(http.StatusBadRequest, "wait %q is not a positive duration such as 30s", v)
		}
		wait = min(d, maxBlockingWait)
	}
	return index, wait, nil
}

// decodeBody decodes a JSON body, refusing unknown fields and oversized
// bodies with a message that says what to change.
func decodeBody(r *http.Request, out any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes: send a smaller job", tooBig.Limit)
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, "request body is empty: send a JSON object")
		}
		return errorf(http.StatusBadRequest, "request body is not valid JSON for this route: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "request body holds more than one JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var ce *codedError
	switch {
	case errors.As(err, &ce):
		code = ce.code
	case errors.Is(err, ErrNotLeader), errors.Is(err, ErrOutcomeUnknown):
		code = http.StatusServiceUnavailable
	case errors.Is(err, fsm.ErrMalformedCommand), errors.Is(err, fsm.ErrAmbiguousPrefix):
		code = http.StatusBadRequest
	case errors.Is(err, fsm.ErrIndexMismatch):
		code = http.StatusConflict
	case errors.Is(err, fsm.ErrJobNotFound), errors.Is(err, fsm.ErrNodeNotFound):
		code = http.StatusNotFound
	}
	writeJSON(w, code, &api.ErrorResponse{Error: err.Error()})
}

// pathID reads and checks an ID path value.
func pathID(r *http.Request, kind string) (string, error) {
	id := r.PathValue("id")
	if strings.ContainsAny(id, "/\\") || id == "" {
		return "", errorf(http.StatusBadRequest, "%s ID %q is not valid", kind, id)
	}
	return id, nil
}
