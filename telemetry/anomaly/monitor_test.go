package anomaly

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMonitor_SeparatesSeries feeds many series concurrently, one of them
// with a planted spike, and checks that only that series reports an event.
func TestMonitor_SeparatesSeries(t *testing.T) {
	m, err := NewMonitor(KindCombined, Config{}, TrackerConfig{})
	require.NoError(t, err)
	quietSeries := syntheticSeries(1500, 5, nil)
	spiky := syntheticSeries(1500, 5, []planted{{EventSpike, 1200, 1200}})

	var mu sync.Mutex
	events := map[string][]Event{}
	var wg sync.WaitGroup
	for s := range 8 {
		name := fmt.Sprintf("node-%d/cpu", s)
		vs := quietSeries
		if s == 3 {
			vs = spiky
		}
		wg.Go(func() {
			for i, v := range vs {
				obs := m.Observe(name, epoch.Add(time.Duration(i)*time.Minute), v)
				if obs.Done {
					mu.Lock()
					events[name] = append(events[name], obs.Closed)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 8, m.Len())
	require.Len(t, events, 1, "%v", events)
	require.Len(t, events["node-3/cpu"], 1)
	assert.Equal(t, EventSpike, events["node-3/cpu"][0].Kind)
	assert.Empty(t, m.Open())

	m.Forget("node-3/cpu")
	assert.Equal(t, 7, m.Len())

	_, err = NewMonitor(Kind("nope"), Config{}, TrackerConfig{})
	assert.ErrorIs(t, err, ErrUnknownKind)
}
