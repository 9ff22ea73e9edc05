package client

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/constellation-sched/constellation/api"
)

// fakeServer speaks the server side of the client protocol over real
// HTTP: node register and heartbeat, blocking allocation queries, and
// allocation updates. It records what the client sent.
type fakeServer struct {
	srv *httptest.Server
	ttl time.Duration

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change
	index     uint64
	nodes     map[string]*api.Node
	allocs    map[string]*api.Allocation
	updates   []*api.Allocation
	registers int
	hbs       int
	queries   int
}

func newFakeServer(t *testing.T) *fakeServer {
	fs := &fakeServer{
		ttl: 400 * time.Millisecond, changed: make(chan struct{}), index: 1,
		nodes: map[string]*api.Node{}, allocs: map[string]*api.Allocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/client/register", fs.register)
	mux.HandleFunc("PUT /v1/client/heartbeat/{id}", fs.heartbeat)
	mux.HandleFunc("GET /v1/node/{id}/allocations", fs.nodeAllocs)
	mux.HandleFunc("POST /v1/client/allocations", fs.update)
	fs.srv = httptest.NewServer(mux)
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *fakeServer) addr() string { return fs.srv.URL }

// bumpLocked moves the index and wakes blocking queries.
func (fs *fakeServer) bumpLocked() {
	fs.index++
	close(fs.changed)
	fs.changed = make(chan struct{})
}

// putAlloc places or changes an allocation.
func (fs *fakeServer) putAlloc(a *api.Allocation) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.allocs[a.ID] = a
	fs.bumpLocked()
}

func (fs *fakeServer) removeAlloc(id string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delete(fs.allocs, id)
	fs.bumpLocked()
}

func (fs *fakeServer) forgetNodes() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nodes = map[string]*api.Node{}
}

// lastUpdate returns the newest update the client sent for an
// allocation, or nil.
func (fs *fakeServer) lastUpdate(id string) *api.Allocation {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i := len(fs.updates) - 1; i >= 0; i-- {
		if fs.updates[i].ID == id {
			return fs.updates[i]
		}
	}
	return nil
}

func (fs *fakeServer) counts() (registers, heartbeats, queries int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.registers, fs.hbs, fs.queries
}

func (fs *fakeServer) register(w http.ResponseWriter, r *http.Request) {
	var n api.Node
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fs.mu.Lock()
	fs.nodes[n.ID] = &n
	fs.registers++
	fs.mu.Unlock()
	writeJSON(w, &api.NodeRegisterResponse{HeartbeatTTL: int64(fs.ttl)})
}

func (fs *fakeServer) heartbeat(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	_, known := fs.nodes[r.PathValue("id")]
	fs.hbs++
	fs.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, "node not found")
		return
	}
	writeJSON(w, &api.NodeRegisterResponse{HeartbeatTTL: int64(fs.ttl)})
}

func (fs *fakeServer) nodeAllocs(w http.ResponseWriter, r *http.Request) {
	wait, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for blocking := true; blocking; {
		fs.mu.Lock()
		idx, ch := fs.index, fs.changed
		fs.mu.Unlock()
		if idx > wait {
			break
		}
		select {
		case <-ch:
		case <-timeout.C:
			blocking = false
		case <-r.Context().Done():
			return
		}
	}
	fs.mu.Lock()
	var out []*api.Allocation
	for _, a := range fs.allocs {
		if a.NodeID == r.PathValue("id") {
			c := *a
			out = append(out, &c)
		}
	}
	fs.queries++
	idx := fs.index
	fs.mu.Unlock()
	w.Header().Set(api.HeaderIndex, strconv.FormatUint(idx, 10))
	writeJSON(w, out)
}

func (fs *fakeServer) update(w http.ResponseWriter, r *http.Request) {
	var req api.AllocUpdateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fs.mu.Lock()
	fs.updates = append(fs.updates, req.Allocs...)
	fs.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
