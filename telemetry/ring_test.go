package telemetry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRing_KeepsNewestInOrder(t *testing.T) {
	tests := []struct {
		name   string
		cap    int
		pushes int
		want   []float64
	}{
		{"empty", 3, 0, nil},
		{"partial", 3, 2, []float64{0, 1}},
		{"full", 3, 3, []float64{0, 1, 2}},
		{"wrapped", 3, 7, []float64{4, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRing(tt.cap)
			for i := 0; i < tt.pushes; i++ {
				r.Push(float64(i))
			}
			assert.Equal(t, tt.want, r.Values(nil))
			assert.Equal(t, len(tt.want), r.Len())
			assert.Equal(t, uint64(tt.pushes), r.Seq())
			for i, w := range tt.want {
				assert.Equal(t, w, r.At(i))
			}
			last, ok := r.Last()
			assert.Equal(t, tt.pushes > 0, ok)
			if ok {
				assert.Equal(t, float64(tt.pushes-1), last)
			}
		})
	}
}

func TestRing_AtOutOfRangePanics(t *testing.T) {
	r := NewRing(2)
	r.Push(1)
	require.Panics(t, func() { r.At(1) })
	require.Panics(t, func() { NewRing(0) })
}

func TestRing_Reset(t *testing.T) {
	r := NewRing(2)
	r.Push(1)
	r.Push(2)
	r.Reset()
	assert.Zero(t, r.Len())
	assert.Zero(t, r.Seq())
	r.Push(3)
	assert.Equal(t, []float64{3}, r.Values(nil))
}
