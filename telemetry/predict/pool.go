package predict

import (
	"runtime"
	"sync"
)

// RefitPool runs model refits on a fixed number of workers, so that many
// series refit without one goroutine each. A full queue refuses new work
// rather than block the observer.
type RefitPool struct {
	jobs chan func()
	wg   sync.WaitGroup

	mu     sync.Mutex // guards closed
	closed bool
}

// NewRefitPool starts workers goroutines (GOMAXPROCS when not positive)
// behind a queue of queue jobs (64 per worker when not positive).
func NewRefitPool(workers, queue int) *RefitPool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if queue <= 0 {
		queue = 64 * workers
	}
	p := &RefitPool{jobs: make(chan func(), queue)}
	p.wg.Add(workers)
	for range workers {
		go func() {
			defer p.wg.Done()
			for job := range p.jobs {
				job()
			}
		}()
	}
	return p
}

// TrySubmit queues job and reports whether it was taken; it is refused
// when the queue is full or the pool closed.
func (p *RefitPool) TrySubmit(job func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	select {
	case p.jobs <- job:
		return true
	default:
		return false
	}
}

// Close stops taking jobs and waits for the queued ones to finish.
func (p *RefitPool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.jobs)
	p.mu.Unlock()
	p.wg.Wait()
}
