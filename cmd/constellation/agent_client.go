package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/client"
	"github.com/constellation-sched/constellation/client/gpu"
	"github.com/constellation-sched/constellation/drivers"
	"github.com/constellation-sched/constellation/drivers/exec"
	gpudriver "github.com/constellation-sched/constellation/drivers/gpu"
	"github.com/constellation-sched/constellation/drivers/wasm"
	"github.com/constellation-sched/constellation/internal/gossip"
)

// newClient builds the client agent with every driver that can run here
// and the GPUs discovery finds.
func (a *agent) newClient() (*client.Agent, error) {
	cfg := a.cfg
	dataDir := filepath.Join(cfg.DataDir, "client")
	wasmDriver, err := wasm.New(wasm.Options{
		CacheDir: filepath.Join(dataDir, "wasm-cache"), Logger: a.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start wasm driver: %w", err)
	}
	ds := []drivers.Driver{wasmDriver, exec.New(a.logger), gpudriver.New(gpudriver.Options{SysfsRoot: cfg.SysfsRoot, Logger: a.logger})}

	inv, err := gpu.Discover(gpu.Options{Mock: cfg.GPUMock, SysfsRoot: cfg.SysfsRoot, Logger: a.logger})
	if err != nil {
		return nil, fmt.Errorf("discover GPUs: %w", err)
	}
	return client.New(client.Config{
		DataDir:    dataDir,
		NodeName:   cfg.Name,
		Datacenter: cfg.Datacenter,
		Servers:    a.serverAddrs,
		HTTPAddr:   cfg.httpAddr(),
		Drivers:    ds,
		Devices:    inv,
	}, a.logger)
}

// newClientOnlyHandler serves a client-only agent's HTTP API: logs of its
// own allocations and its view of the gossip pool locally, everything else
// through a proxy to one of the servers.
func newClientOnlyHandler(cl *client.Agent, pool *gossip.Pool, servers func() []string, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/client/fs/logs/{id}", cl.Handler())
	mux.HandleFunc("GET /v1/agent/members", func(w http.ResponseWriter, _ *http.Request) {
		serveJSON(w, pool.Members())
	})
	mux.HandleFunc("GET /v1/agent/self", func(w http.ResponseWriter, _ *http.Request) {
		serveJSON(w, &api.AgentSelf{Name: pool.LocalName(), Client: true, NodeID: cl.NodeID()})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		addrs := servers()
		if len(addrs) == 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"this client knows no server yet: check -join or -servers"}` + "\n"))
			return
		}
		target, err := url.Parse("http://" + addrs[rand.IntN(len(addrs))])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
			logger.Debug("proxy to server failed", "server", target.Host, "error", err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = fmt.Fprintf(w, "{\"error\":%q}\n", "server "+target.Host+" did not answer: retry")
		}
		proxy.ServeHTTP(w, r)
	})
	return mux
}

func serveJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
