package fsm

import (
	"bytes"
	"context"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

// blockingResult is what a Blocking call returned.
type blockingResult struct {
	jobs  int
	index uint64
	err   error
}

// startBlocking runs a Blocking query on the jobs table in a goroutine and
// returns the channel its result arrives on.
func startBlocking(ctx context.Context, s *StateStore, minIndex uint64) <-chan blockingResult {
	out := make(chan blockingResult, 1)
	go func() {
		res, index, err := s.Blocking(ctx, minIndex, []string{TableJobs}, func(snap *Snapshot) (any, error) {
			jobs, err := snap.Jobs()
			return len(jobs), err
		})
		n, _ := res.(int)
		out <- blockingResult{jobs: n, index: index, err: err}
	}()
	return out
}

// received reports whether ch holds a value, without waiting.
func received(ch <-chan blockingResult) bool {
	return len(ch) > 0
}

func TestStateStore_BlockingRunsAtOnceWhenPastIndex(t *testing.T) {
	h := newHarness(t)
	idx := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
	h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n1")})

	res, index, err := h.fsm.State().Blocking(context.Background(), idx-1, []string{TableJobs},
		func(snap *Snapshot) (any, error) { return snap.JobByID("web") })
	require.NoError(t, err)
	assert.Equal(t, idx, index, "the index is the named tables', not the latest overall")
	assert.Equal(t, "web", res.(*api.Job).ID)

	// A minIndex of 0 never waits, even on an empty store.
	_, index, err = newHarness(t).fsm.State().Blocking(context.Background(), 0, []string{TableNodes, TableAllocs},
		func(*Snapshot) (any, error) { return nil, nil })
	require.NoError(t, err)
	assert.Equal(t, uint64(1), index, "an empty store answers at index 1")
}

func TestStateStore_BlockingRefusesUnknownTable(t *testing.T) {
	s := NewStateStore()
	ran := false
	_, _, err := s.Blocking(context.Background(), 0, []string{"jobz"}, func(*Snapshot) (any, error) {
		ran = true
		return nil, nil
	})
	require.ErrorIs(t, err, ErrUnknownTable)
	assert.False(t, ran)
}

func TestStateStore_BlockingWakesOnWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		idx := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
		done := startBlocking(context.Background(), h.fsm.State(), idx)

		// A write to another table does not wake it.
		synctest.Wait()
		h.mustApply(NodeRegisterRequestType, &NodeRegisterRequest{Node: testNode("n1")})
		synctest.Wait()
		require.False(t, received(done), "woke on a write to a table it does not watch")

		next := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("api")})
		res := <-done
		require.NoError(t, res.err)
		assert.Equal(t, next, res.index)
		assert.Equal(t, 2, res.jobs)
	})
}

func TestStateStore_BlockingTimesOutWithoutChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t)
		idx := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("web")})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		done := startBlocking(ctx, h.fsm.State(), idx)

		synctest.Wait()
		require.False(t, received(done), "returned before anything changed or the wait ended")
		time.Sleep(5 * time.Minute) // fake time: only moves the bubble's clock
		synctest.Wait()
		require.True(t, received(done), "did not return when its context ended")
		res := <-done
		require.NoError(t, res.err)
		assert.Equal(t, idx, res.index, "the index has not moved")
		assert.Equal(t, 1, res.jobs, "it runs on the state as it is")
	})
}

func TestStateStore_BlockingWakesOnRestore(t *testing.T) {
	tests := []struct {
		name     string
		snapshot func(t *testing.T) (data []byte, jobsIndex uint64)
		wantJobs int
	}{
		{"newer state", func(t *testing.T) ([]byte, uint64) {
			h := newHarness(t)
			applyScenario(h)
			return persist(t, h.fsm), h.snap().TableIndex(TableJobs)
		}, 1},
		{"older state", func(t *testing.T) ([]byte, uint64) {
			return persist(t, New(nil)), 1
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, wantIndex := tt.snapshot(t)
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t)
				h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("a")})
				h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("b")})
				idx := h.mustApply(JobRegisterRequestType, &JobRegisterRequest{Job: testJob("c")})
				done := startBlocking(context.Background(), h.fsm.State(), idx)
				synctest.Wait()
				require.False(t, received(done))

				require.NoError(t, h.fsm.Restore(io.NopCloser(bytes.NewReader(data))))
				res := <-done
				require.NoError(t, res.err)
				assert.Equal(t, tt.wantJobs, res.jobs, "it runs on the restored state")
				assert.Equal(t, wantIndex, res.index)
			})
		})
	}
}
