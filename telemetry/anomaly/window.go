package anomaly

import (
	"math"
	"sort"
)

// ring is a fixed-capacity FIFO of float64 values.
type ring struct {
	buf  []float64
	head int // index of the oldest value
	n    int
}

func newRing(capacity int) *ring {
	return &ring{buf: make([]float64, capacity)}
}

// push appends v and returns the evicted value and whether one was evicted.
func (r *ring) push(v float64) (float64, bool) {
	if r.n < len(r.buf) {
		r.buf[(r.head+r.n)%len(r.buf)] = v
		r.n++
		return 0, false
	}
	old := r.buf[r.head]
	r.buf[r.head] = v
	r.head = (r.head + 1) % len(r.buf)
	return old, true
}

// at returns the i-th value, 0 being the oldest.
func (r *ring) at(i int) float64 {
	return r.buf[(r.head+i)%len(r.buf)]
}

// last returns the i-th most recent value, 0 being the newest.
func (r *ring) last(i int) float64 {
	return r.at(r.n - 1 - i)
}

func (r *ring) len() int { return r.n }

func (r *ring) full() bool { return r.n == len(r.buf) }

// sortedWindow keeps the last capacity values both in arrival order and
// sorted, so that order statistics (median, quartiles, MAD) cost a binary
// search and one memmove per point.
type sortedWindow struct {
	order  *ring
	sorted []float64
}

func newSortedWindow(capacity int) *sortedWindow {
	return &sortedWindow{
		order:  newRing(capacity),
		sorted: make([]float64, 0, capacity),
	}
}

// add inserts v, evicting the oldest value when the window is full. NaN is
// stored as +Inf so that the order stays total.
func (w *sortedWindow) add(v float64) {
	if math.IsNaN(v) {
		v = math.Inf(1)
	}
	if old, ok := w.order.push(v); ok {
		i := sort.SearchFloat64s(w.sorted, old)
		copy(w.sorted[i:], w.sorted[i+1:])
		w.sorted = w.sorted[:len(w.sorted)-1]
	}
	i := sort.SearchFloat64s(w.sorted, v)
	w.sorted = append(w.sorted, 0)
	copy(w.sorted[i+1:], w.sorted[i:])
	w.sorted[i] = v
}

func (w *sortedWindow) len() int { return len(w.sorted) }

// quantile returns the q-quantile with linear interpolation between ranks.
func (w *sortedWindow) quantile(q float64) float64 {
	n := len(w.sorted)
	if n == 0 {
		return 0
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, n-1)
	frac := pos - float64(lo)
	a, b := w.sorted[lo], w.sorted[hi]
	if frac == 0 || a == b {
		return a
	}
	return a + frac*(b-a)
}

func (w *sortedWindow) median() float64 { return w.quantile(0.5) }

// mad returns the median absolute deviation from m, the window's median.
// The deviations below and above m form two sorted runs, so the median of
// their union is a k-th smallest selection over two sorted arrays.
func (w *sortedWindow) mad(m float64) float64 {
	n := len(w.sorted)
	if n == 0 {
		return 0
	}
	split := sort.SearchFloat64s(w.sorted, m) // sorted[:split] < m
	below := func(i int) float64 { return m - w.sorted[split-1-i] }
	above := func(i int) float64 { return w.sorted[split+i] - m }
	nb, na := split, n-split
	if n%2 == 1 {
		return kthOfTwo(below, nb, above, na, n/2)
	}
	a := kthOfTwo(below, nb, above, na, n/2-1)
	b := kthOfTwo(below, nb, above, na, n/2)
	return (a + b) / 2
}

// kthOfTwo returns the k-th smallest (0-based) element of the union of two
// ascending sequences given by accessors and lengths.
func kthOfTwo(a func(int) float64, na int, b func(int) float64, nb int, k int) float64 {
	// Binary search on how many elements come from a.
	lo, hi := max(0, k+1-nb), min(k+1, na)
	for lo < hi {
		i := (lo + hi) / 2 // take i+... elements from a
		j := k + 1 - i     // and j from b
		if i < na && j > 0 && b(j-1) > a(i) {
			lo = i + 1
		} else {
			hi = i
		}
	}
	i := lo
	j := k + 1 - i
	best := math.Inf(-1)
	if i > 0 {
		best = a(i - 1)
	}
	if j > 0 && b(j-1) > best {
		best = b(j - 1)
	}
	return best
}

// meanAbsDev returns the mean absolute deviation of the window's values
// from m. It is 0 only when every value equals m.
func (w *sortedWindow) meanAbsDev(m float64) float64 {
	if len(w.sorted) == 0 {
		return 0
	}
	var s float64
	for _, x := range w.sorted {
		s += math.Abs(x - m)
	}
	return s / float64(len(w.sorted))
}
