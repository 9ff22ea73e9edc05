package telemetry

import "fmt"

// Ring is a fixed-capacity buffer of float64 samples that overwrites the
// oldest sample once full. Push and At run in constant time.
type Ring struct {
	buf  []float64
	head int    // index of the oldest sample
	n    int    // number of samples held
	seq  uint64 // samples pushed since creation
}

// NewRing returns an empty Ring holding at most capacity samples. It panics
// if capacity is not positive, which is a programming error.
func NewRing(capacity int) *Ring {
	if capacity <= 0 {
		panic(fmt.Sprintf("telemetry: ring capacity %d must be positive", capacity))
	}
	return &Ring{buf: make([]float64, capacity)}
}

// Push appends v, dropping the oldest sample when the ring is full.
func (r *Ring) Push(v float64) {
	r.seq++
	if r.n < len(r.buf) {
		r.buf[(r.head+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.head] = v
	r.head = (r.head + 1) % len(r.buf)
}

// Len returns the number of samples held.
func (r *Ring) Len() int { return r.n }

// Cap returns the most samples the ring holds.
func (r *Ring) Cap() int { return len(r.buf) }

// Seq returns how many samples were pushed since the ring was created or
// last reset, including those already overwritten.
func (r *Ring) Seq() uint64 { return r.seq }

// At returns the i-th sample held, 0 being the oldest. It panics if i is out
// of range, like a slice index.
func (r *Ring) At(i int) float64 {
	if i < 0 || i >= r.n {
		panic(fmt.Sprintf("telemetry: ring index %d out of range [0,%d)", i, r.n))
	}
	return r.buf[(r.head+i)%len(r.buf)]
}

// Last returns the newest sample and false when the ring is empty.
func (r *Ring) Last() (float64, bool) {
	if r.n == 0 {
		return 0, false
	}
	return r.At(r.n - 1), true
}

// Values appends the held samples, oldest first, to dst and returns it.
func (r *Ring) Values(dst []float64) []float64 {
	first := r.buf[r.head:min(r.head+r.n, len(r.buf))]
	dst = append(dst, first...)
	if rest := r.n - len(first); rest > 0 {
		dst = append(dst, r.buf[:rest]...)
	}
	return dst
}

// Reset empties the ring and sets its sequence number back to zero.
func (r *Ring) Reset() {
	r.head, r.n, r.seq = 0, 0, 0
}
