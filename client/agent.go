package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/drivers"
)

// ErrStarted is returned by Start when the agent was already started.
var ErrStarted = errors.New("client agent already started")

// Agent is a client agent: one node of the cluster, running the
// allocations the servers place on it.
type Agent struct {
	cfg       Config
	logger    *slog.Logger
	nodeID    string
	allocsDir string
	drivers   map[string]drivers.Driver
	servers   *serverSet
	state     *stateDB
	updates   *updater

	// registered is closed once the node was first registered.
	registered     chan struct{}
	registeredOnce sync.Once
	// reregister asks the heartbeat loop to register the node again.
	reregister chan struct{}

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards node, runners, restored, forgetting and started.
	mu      sync.Mutex
	node    *api.Node
	runners map[string]*allocRunner
	// restored holds runners loaded from the state file and not started
	// yet.
	restored []*allocRunner
	// forgetting holds the IDs of runners being dropped.
	forgetting map[string]bool
	started    bool
}

// New prepares a client agent: it checks the config, loads or makes the
// node ID and opens the state file. Nothing runs until Start.
func New(cfg Config, logger *slog.Logger) (*Agent, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	nodeID, err := loadNodeID(cfg.DataDir, cfg.NodeID)
	if err != nil {
		return nil, err
	}
	state, err := openStateDB(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a := &Agent{
		cfg:        cfg,
		logger:     logger.With("node_id", nodeID),
		nodeID:     nodeID,
		allocsDir:  filepath.Join(cfg.DataDir, "allocs"),
		drivers:    make(map[string]drivers.Driver, len(cfg.Drivers)),
		servers:    newServerSet(cfg.Servers),
		state:      state,
		registered: make(chan struct{}),
		reregister: make(chan struct{}, 1),
		runners:    map[string]*allocRunner{},
		forgetting: map[string]bool{},
	}
	for _, d := range cfg.Drivers {
		a.drivers[d.Name()] = d
	}
	a.updates = newUpdater(a.sendUpdates, cfg.UpdateInterval, cfg.RetryMin, cfg.RetryMax, a.logger)
	return a, nil
}

// NodeID returns the node's ID.
func (a *Agent) NodeID() string { return a.nodeID }

// Node returns a copy of the node as last registered, or as fingerprinted
// when not registered yet; nil before Start.
func (a *Agent) Node() *api.Node {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.node == nil {
		return nil
	}
	n := *a.node
	return &n
}

// Start fingerprints the node, resumes the allocations recorded in the
// state file, and starts registering, heartbeating and watching for
// allocations. It returns once those loops run; servers that cannot be
// reached yet are retried in the background.
func (a *Agent) Start(ctx context.Context) error {
	a.mu.Lock()
	if a.started {
		a.mu.Unlock()
		return ErrStarted
	}
	a.started = true
	a.mu.Unlock()

	if err := os.MkdirAll(a.allocsDir, 0o755); err != nil {
		return fmt.Errorf("make allocs dir: %w", err)
	}
	// Before anything runs, kill the task processes a crashed agent left
	// behind: they cannot be reattached, and would run beside their
	// replacements.
	a.killOrphans()

	ctx, a.cancel = context.WithCancel(ctx)
	a.setNode(a.buildNode(ctx))

	// Load what the state file recorded. Unfinished allocations start
	// only once the servers' list has been read, so that one the servers
	// marked lost or stopped meanwhile never runs again.
	a.restore()

	a.goLoop(func() { a.updates.Run(ctx) })
	a.goLoop(func() { a.heartbeatLoop(ctx) })
	a.goLoop(func() { a.watchLoop(ctx) })
	if a.cfg.Devices != nil {
		a.goLoop(func() {
			a.cfg.Devices.WatchHealth(ctx, a.cfg.DeviceHealthInterval, a.devicesChanged)
		})
	}
	if a.cfg.TelemetryInterval > 0 {
		a.goLoop(func() { a.newTelemetry().Run(ctx) })
	}
	a.logger.Info("client started", "node_name", a.Node().Name, "drivers", a.Node().Drivers,
		"allocs_resumed", len(a.runnerList()))
	return nil
}

// Shutdown stops the agent's loops and its running tasks, and waits for
// them. Task states are left as they were in the state file so that a
// restarted agent starts the unfinished tasks again.
func (a *Agent) Shutdown() {
	a.mu.Lock()
	started := a.started && a.cancel != nil
	a.mu.Unlock()
	if !started {
		return
	}
	a.cancel()
	a.mu.Lock()
	unstarted := map[*allocRunner]bool{}
	for _, ar := range a.restored {
		unstarted[ar] = true
	}
	a.mu.Unlock()
	for _, ar := range a.runnerList() {
		ar.Stop(killShutdown, "Client agent shutting down")
	}
	for _, ar := range a.runnerList() {
		if !unstarted[ar] {
			<-ar.Done()
		}
	}
	a.wg.Wait()
	a.logger.Info("client stopped")
}

func (a *Agent) goLoop(fn func()) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		fn()
	}()
}

// restore makes a runner for every allocation in the state file and
// reports it to the servers again. The runners are started by
// startRestored, after the first answer from the servers: those the
// client had finished are not run again, the others start their
// unfinished tasks unless the servers stopped them.
func (a *Agent) restore() {
	for _, alloc := range a.state.Allocs() {
		ar, err := newAllocRunner(alloc, a.allocsDir, a.drivers, true, a.state, a.logger, a.allocChanged)
		if err != nil {
			a.logger.Error("restore allocation", "alloc_id", alloc.ID, "error", err)
			continue
		}
		a.mu.Lock()
		a.runners[alloc.ID] = ar
		a.restored = append(a.restored, ar)
		a.mu.Unlock()
		a.updates.Queue(ar.Alloc())
	}
}

// startRestored runs the restored runners, once.
func (a *Agent) startRestored(ctx context.Context) {
	a.mu.Lock()
	restored := a.restored
	a.restored = nil
	a.mu.Unlock()
	for _, ar := range restored {
		a.goLoop(func() { ar.Run(ctx) })
	}
}

// addRunner records and starts an alloc runner.
func (a *Agent) addRunner(ctx context.Context, ar *allocRunner) {
	a.mu.Lock()
	a.runners[ar.Alloc().ID] = ar
	a.mu.Unlock()
	a.goLoop(func() { ar.Run(ctx) })
}

func (a *Agent) runner(id string) *allocRunner {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.runners[id]
}

func (a *Agent) runnerList() []*allocRunner {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*allocRunner, 0, len(a.runners))
	for _, ar := range a.runners {
		out = append(out, ar)
	}
	return out
}

// allocChanged saves an allocation's new client state and queues it for
// the servers.
func (a *Agent) allocChanged(alloc *api.Allocation) {
	if err := a.state.Put(alloc); err != nil {
		a.logger.Error("save client state", "alloc_id", alloc.ID, "error", err)
	}
	a.updates.Queue(alloc)
}

// sendUpdates reports allocation states to a server.
func (a *Agent) sendUpdates(ctx context.Context, allocs []*api.Allocation) error {
	return a.servers.Do(ctx, func(c *api.Client) error {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		return c.UpdateAllocs(rctx, allocs)
	})
}
