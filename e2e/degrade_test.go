//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// degradeFor is how long scenario 7 keeps the network degraded;
// CHAOS_DEGRADE_FOR (a Go duration) overrides it.
func degradeFor() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("CHAOS_DEGRADE_FOR")); err == nil && d > 0 {
		return d
	}
	return time.Minute
}

// TestChaos_LossyNetworkBetweenServers drops 20% of the packets between
// servers and delays them by 100ms for a minute.
func TestChaos_LossyNetworkBetweenServers(t *testing.T) {
	r := newRun(t, "7 loss+latency", "")
	ctx := context.Background()
	r.w.Start()
	require.NoError(t, r.waitAcked(ackedBefore, time.Minute), "workload made no progress before the fault")

	deg, err := r.c.Degrade(ctx, r.c.Servers(), 0.20, 100*time.Millisecond)
	require.NoError(t, err)
	r.row.Fault = fmt.Sprintf("%s between servers for %v", deg, degradeFor())
	faultAt := time.Now()
	flaps := watchNodes(r.c)
	hold(degradeFor())
	require.NoError(t, r.c.Heal(ctx))
	healAt := time.Now()
	down := flaps.stop()

	r.check("progress every 10s", progressEvery(r.w.hist, r.w.hist.Since(faultAt), r.w.hist.Since(healAt), 10*time.Second))
	var flapErr error
	if len(down) > 0 {
		flapErr = fmt.Errorf("client nodes marked down during the fault: %v", down)
	}
	r.check("no client marked down", flapErr)
	r.writesBack(faultAt)
	r.verify()
}

// progressEvery checks that every window of the given width between from
// and to holds an acknowledged write.
func progressEvery(h *History, from, to int64, window time.Duration) error {
	var acked []int64
	for _, op := range h.Ops() {
		if op.Input.Kind != OpRead && op.Output.Status == StatusOK {
			acked = append(acked, op.Return)
		}
	}
	for start := from; start+int64(window) <= to; start += int64(window) {
		found := false
		for _, at := range acked {
			found = found || (at >= start && at < start+int64(window))
		}
		if !found {
			return fmt.Errorf("no write acknowledged between %v and %v into the fault",
				time.Duration(start-from), time.Duration(start-from)+window)
		}
	}
	return nil
}

// nodeWatch records every client node seen with a status other than
// ready.
type nodeWatch struct {
	done chan struct{}
	wg   sync.WaitGroup
	down map[string]string
}

// watchNodes polls the node list every 500ms through any server.
func watchNodes(c *Cluster) *nodeWatch {
	w := &nodeWatch{done: make(chan struct{}), down: map[string]string{}}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			select {
			case <-w.done:
				return
			case <-time.After(500 * time.Millisecond):
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			nodes, err := c.readNodes(ctx)
			cancel()
			if err != nil {
				continue
			}
			for _, n := range nodes {
				if n.Status != api.NodeStatusReady {
					w.down[n.Name] = n.Status
				}
			}
		}
	}()
	return w
}

// stop ends the watch and returns the nodes seen not ready, with status.
func (w *nodeWatch) stop() map[string]string {
	close(w.done)
	w.wg.Wait()
	return w.down
}
