package predict

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSet_KeepsSeriesApart(t *testing.T) {
	s, err := NewSet(Config{Step: time.Minute, Window: 600, RefitEvery: 100, Horizon: 20})
	require.NoError(t, err)
	defer s.Close()

	// Many writers at once, each with its own series.
	var wg sync.WaitGroup
	for k := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 400 {
				v := float64(100*k) + 5*float64(i%30)
				assert.NoError(t, s.Observe(fmt.Sprintf("svc-%d", k), t0.Add(time.Duration(i)*time.Minute), v))
			}
		}()
	}
	wg.Wait()
	require.Len(t, s.Names(), 8)
	assert.Equal(t, "svc-0", s.Names()[0])
	waitFor(t, func() bool { return s.Get("svc-7").Stats().Fits >= 1 })

	fc, err := s.Forecast("svc-7", 5)
	require.NoError(t, err)
	for _, v := range fc.Mean {
		assert.InDelta(t, 700+70, v, 80, "series 7 lives between 700 and 845")
	}
	_, err = s.Forecast("nope", 5)
	require.ErrorIs(t, err, ErrUnknownSeries)

	s.Remove("svc-7")
	assert.Nil(t, s.Get("svc-7"))
}

func TestRefitPool_RefusesWhenFullOrClosed(t *testing.T) {
	p := NewRefitPool(1, 1)
	release := make(chan struct{})
	started := make(chan struct{})
	require.True(t, p.TrySubmit(func() { close(started); <-release }))
	<-started
	require.True(t, p.TrySubmit(func() {}), "queue has room for one")
	assert.False(t, p.TrySubmit(func() {}), "queue full")
	close(release)
	p.Close()
	assert.False(t, p.TrySubmit(func() {}), "closed")
}
