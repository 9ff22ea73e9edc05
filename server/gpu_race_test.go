package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/client"
	"github.com/constellation-sched/constellation/client/gpu"
)

// raceJobs is how many single-GPU jobs race for the one GPU.
const raceJobs = 20

// firstGPUOnly wraps an inventory so that the node shows only its first
// whole GPU.
func firstGPUOnly(inv *gpu.Inventory) client.Devices {
	for _, g := range inv.Groups() {
		if g.Type == "gpu" {
			return &onlyDevices{Inventory: inv, keep: map[string]bool{g.Instances[0].ID: true}}
		}
	}
	return &onlyDevices{Inventory: inv}
}

// raceScript holds the GPU: it takes a lock directory that a second
// holder at the same moment could not take, waits for the gate file, and
// ends. A holder that finds the lock taken leaves a mark.
func raceScript(dir string) string {
	return fmt.Sprintf(`mkdir %[1]s/holder || { touch %[1]s/overlap; exit 1; }
while [ ! -e %[1]s/gate ]; do sleep 0.02; done
sleep 0.05
rmdir %[1]s/holder`, dir)
}

// holdersWatch polls the servers and records the most allocations ever
// seen holding the GPU at once.
type holdersWatch struct {
	mu       sync.Mutex
	maxLive  int
	maxOnGPU int
	polls    int
}

func (hw *holdersWatch) run(ctx context.Context, c *api.Client, gpuID string) {
	for ctx.Err() == nil {
		live := 0
		if stubs, _, err := c.Allocations(ctx, nil); err == nil {
			for _, s := range stubs {
				if s.DesiredStatus == api.AllocDesiredRun &&
					(s.ClientStatus == api.AllocClientPending || s.ClientStatus == api.AllocClientRunning) {
					live++
				}
			}
		}
		onGPU := 0
		if gpus, _, err := c.GPUs(ctx, nil); err == nil {
			for _, g := range gpus {
				if g.ID == gpuID {
					onGPU = len(g.Allocations)
				}
			}
		}
		hw.mu.Lock()
		hw.maxLive, hw.maxOnGPU = max(hw.maxLive, live), max(hw.maxOnGPU, onGPU)
		hw.polls++
		hw.mu.Unlock()
	}
}

// TestGPUCluster_ExclusiveRace submits twenty batch jobs, each wanting the
// one exclusive GPU of the cluster, all at once through every server. One
// is placed, the others wait blocked and then run one at a time as the
// GPU frees, until all have completed.
func TestGPUCluster_ExclusiveRace(t *testing.T) {
	servers := startCluster(t, 3)
	c := waitLeader(t, servers).client
	node := startClient(t, servers,
		clientOptions{name: "one-gpu", mock: "dgxa100", wrap: firstGPUOnly})
	waitNodeReady(t, c, node)
	devs := instancesOf(node)
	require.Len(t, devs, 1, "the node should show exactly one GPU")
	var gpuID string
	for id := range devs {
		gpuID = id
	}
	dir := t.TempDir()

	ctx, stopWatch := context.WithCancel(context.Background())
	watch := &holdersWatch{}
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); watch.run(ctx, c, gpuID) }()

	// Submit every job at once, spread over the servers.
	var wg sync.WaitGroup
	errs := make([]error, raceJobs)
	for i := range raceJobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job := gpuJob(fmt.Sprintf("race-%02d", i), api.JobTypeBatch,
				&api.DeviceRequest{Name: "gpu", Count: 1}, raceScript(dir))
			req := &api.JobRegisterRequest{Job: job}
			_, errs[i] = servers[i%len(servers)].client.RegisterJob(context.Background(), req)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "register job %d", i)
	}

	// Once every job's first evaluation is done, exactly one job holds
	// the GPU and the others are blocked.
	var placed, blocked []string
	require.Eventually(t, func() bool {
		placed, blocked = nil, nil
		for i := range raceJobs {
			id := fmt.Sprintf("race-%02d", i)
			evals, _, err := c.JobEvaluations(context.Background(), id, nil)
			if err != nil || len(evals) == 0 {
				return false
			}
			first := oldestEval(evals)
			switch {
			case first.Status == api.EvalStatusComplete && first.BlockedEval != "":
				blocked = append(blocked, id)
			case first.Status == api.EvalStatusComplete:
				placed = append(placed, id)
			default:
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "first evaluations never finished")
	assert.Len(t, placed, 1, "placed at first: %v", placed)
	assert.Len(t, blocked, raceJobs-1)
	waitAlloc(t, c, placed[0], clientStatus(api.AllocClientRunning))

	// Open the gate: the jobs now run one after another.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gate"), nil, 0o644))
	for i := range raceJobs {
		id := fmt.Sprintf("race-%02d", i)
		alloc := waitAlloc(t, c, id, clientStatus(api.AllocClientComplete))
		assert.Equal(t, []string{gpuID}, onlyDevice(t, alloc).DeviceIDs, "job %s", id)
	}
	stopWatch()
	<-watchDone

	assert.NoFileExists(t, filepath.Join(dir, "overlap"), "two tasks held the GPU at once")
	watch.mu.Lock()
	defer watch.mu.Unlock()
	assert.Positive(t, watch.polls)
	assert.Equal(t, 1, watch.maxLive, "allocations pending or running at once")
	assert.Equal(t, 1, watch.maxOnGPU, "allocations listed on the GPU at once")
	allocs, _, err := c.Allocations(context.Background(), nil)
	require.NoError(t, err)
	assert.Len(t, allocs, raceJobs, "one allocation per job, none failed and replaced")
}

// oldestEval returns the evaluation created first.
func oldestEval(evals []*api.Evaluation) *api.Evaluation {
	first := evals[0]
	for _, e := range evals[1:] {
		if e.CreateIndex < first.CreateIndex {
			first = e
		}
	}
	return first
}
