package anomaly

import (
	"math"
	"math/rand/v2"
	"time"
)

// iforestDetector is an isolation forest over shingles (the last Shingle
// values, newest first). The forest is grown on random shingles of the
// sliding window and regrown every RetrainEvery points, so it follows the
// series' recent behaviour. A point's score is the standard isolation
// score 2^(-E[h]/c(n)): points that random splits isolate quickly score
// near 1, ordinary points near or below 0.5.
type iforestDetector struct {
	cfg      Config
	win      *ring
	rng      *rand.Rand
	trees    []iforestTree
	shingle  []float64
	scratch  [][]float64
	sinceFit int
	fitN     int // points each tree of the current forest was grown on
	seen     int
}

// iforestNode is one node of a flattened isolation tree. A leaf has
// left < 0 and records how many training points reached it.
type iforestNode struct {
	split   float64
	feature int32
	left    int32
	right   int32
	size    int32
}

type iforestTree struct {
	nodes []iforestNode
}

func newIsolationForest(cfg Config) *iforestDetector {
	d := &iforestDetector{
		cfg:     cfg,
		win:     newRing(cfg.Window),
		rng:     rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		shingle: make([]float64, cfg.Shingle),
		scratch: make([][]float64, cfg.SampleSize),
	}
	for i := range d.scratch {
		d.scratch[i] = make([]float64, cfg.Shingle)
	}
	return d
}

// Kind returns KindIsolationForest.
func (d *iforestDetector) Kind() Kind { return KindIsolationForest }

// Observe scores the shingle ending at v with the current forest, then adds
// v to the window and regrows the forest when it is due.
func (d *iforestDetector) Observe(_ time.Time, v float64) Result {
	if !finite(v) {
		return Result{}
	}
	d.win.push(v)
	d.seen++
	var score float64
	if d.trees != nil && d.seen > d.cfg.WarmUp {
		d.fillShingle(d.shingle, d.win.len()-1)
		score = d.score(d.shingle)
	}
	d.sinceFit++
	ready := d.win.len() >= d.cfg.Shingle+d.cfg.SampleSize/4
	if ready && (d.trees == nil || d.sinceFit >= d.cfg.RetrainEvery) {
		d.fit()
	}
	return result(score, d.cfg.Threshold)
}

// fillShingle writes the Shingle values ending at window index end into
// dst, newest first.
func (d *iforestDetector) fillShingle(dst []float64, end int) {
	for k := range dst {
		dst[k] = d.win.at(end - k)
	}
}

// fit grows a fresh forest from random shingles of the window.
func (d *iforestDetector) fit() {
	d.sinceFit = 0
	first := d.cfg.Shingle - 1
	span := d.win.len() - first
	n := min(d.cfg.SampleSize, span)
	d.fitN = n
	depthLimit := int(math.Ceil(math.Log2(float64(max(n, 2)))))
	if d.trees == nil {
		d.trees = make([]iforestTree, d.cfg.Trees)
	}
	for t := range d.trees {
		sample := d.scratch[:n]
		for i := range sample {
			d.fillShingle(sample[i], first+d.rng.IntN(span))
		}
		tree := &d.trees[t]
		tree.nodes = tree.nodes[:0]
		d.grow(tree, sample, 0, depthLimit)
	}
}

// grow appends the subtree for sample to tree and returns its index.
func (d *iforestDetector) grow(tree *iforestTree, sample [][]float64, depth, limit int) int32 {
	idx := int32(len(tree.nodes))
	tree.nodes = append(tree.nodes, iforestNode{left: -1, right: -1, size: int32(len(sample))})
	if depth >= limit || len(sample) <= 1 {
		return idx
	}

	// Pick a feature that varies in this sample, and a uniform split.
	feature, lo, hi := -1, 0.0, 0.0
	for _, f := range d.rng.Perm(d.cfg.Shingle) {
		lo, hi = sample[0][f], sample[0][f]
		for _, s := range sample[1:] {
			lo, hi = math.Min(lo, s[f]), math.Max(hi, s[f])
		}
		if hi > lo {
			feature = f
			break
		}
	}
	if feature < 0 {
		return idx
	}
	split := lo + d.rng.Float64()*(hi-lo)

	// Partition in place and recurse.
	i := 0
	for j := range sample {
		if sample[j][feature] < split {
			sample[i], sample[j] = sample[j], sample[i]
			i++
		}
	}
	left := d.grow(tree, sample[:i], depth+1, limit)
	right := d.grow(tree, sample[i:], depth+1, limit)
	tree.nodes[idx] = iforestNode{split: split, feature: int32(feature), left: left, right: right}
	return idx
}

// score returns the isolation score of x in [0, 1].
func (d *iforestDetector) score(x []float64) float64 {
	var total float64
	for t := range d.trees {
		total += d.trees[t].pathLength(x)
	}
	mean := total / float64(len(d.trees))
	return math.Pow(2, -mean/averagePath(d.fitN))
}

// pathLength returns the depth at which x lands, plus the expected depth
// of the unbuilt subtree below a leaf holding several points.
func (t *iforestTree) pathLength(x []float64) float64 {
	i, depth := int32(0), 0.0
	for {
		n := &t.nodes[i]
		if n.left < 0 {
			return depth + averagePath(int(n.size))
		}
		if x[n.feature] < n.split {
			i = n.left
		} else {
			i = n.right
		}
		depth++
	}
}

// averagePath is c(n), the mean unsuccessful search length in a binary
// search tree of n points, which normalises isolation depths.
func averagePath(n int) float64 {
	if n <= 1 {
		return 0
	}
	if n == 2 {
		return 1
	}
	f := float64(n)
	return 2*(math.Log(f-1)+0.5772156649) - 2*(f-1)/f
}
