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
//
// TODO: a one-point spike moves one coordinate of the shingle, which random
// splits seldom pick, so the plain forest scores it little above ordinary
// points; features of the shingle (differences, its spread) would help.
// Retraining (every RetrainEvery points, all trees at once) dominates the
// cost per point; regrowing one tree at a time would smooth the latency
// but not lower the amortised cost.
type iforestDetector struct {
	cfg      Config
	win      *ring
	rng      *rand.Rand
	trees    []iforestTree
	shingle  []float64
	flat     []float64 // training shingles, row-major
	idx      []int32   // row order while growing a tree
	sinceFit int
	fitN     int // points each tree of the current forest was grown on
	seen     int
}

// iforestNode is one node of a flattened isolation tree. A leaf has
// left < 0, and its split holds c(size), the expected depth of the subtree
// that was not grown below it.
type iforestNode struct {
	split   float64
	feature int32
	left    int32
	right   int32
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
		flat:    make([]float64, cfg.SampleSize*cfg.Shingle),
		idx:     make([]int32, cfg.SampleSize),
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
		idx := d.idx[:n]
		for i := range idx {
			idx[i] = int32(i)
			d.fillShingle(d.flat[i*d.cfg.Shingle:(i+1)*d.cfg.Shingle], first+d.rng.IntN(span))
		}
		tree := &d.trees[t]
		tree.nodes = tree.nodes[:0]
		d.grow(tree, idx, 0, depthLimit)
	}
}

// grow appends the subtree for the sample rows idx to tree and returns its
// index.
func (d *iforestDetector) grow(tree *iforestTree, idx []int32, depth, limit int) int32 {
	at := int32(len(tree.nodes))
	tree.nodes = append(tree.nodes, iforestNode{left: -1, right: -1, split: averagePath(len(idx))})
	if depth >= limit || len(idx) <= 1 {
		return at
	}

	// Pick a feature that varies in this sample, starting at a random one,
	// and a uniform split between its extremes.
	k := d.cfg.Shingle
	feature, lo, hi := -1, 0.0, 0.0
	for off, f0 := 0, d.rng.IntN(k); off < k; off++ {
		f := (f0 + off) % k
		lo, hi = d.flat[int(idx[0])*k+f], d.flat[int(idx[0])*k+f]
		for _, r := range idx[1:] {
			x := d.flat[int(r)*k+f]
			if x < lo {
				lo = x
			}
			if x > hi {
				hi = x
			}
		}
		if hi > lo {
			feature = f
			break
		}
	}
	if feature < 0 {
		return at
	}
	split := lo + d.rng.Float64()*(hi-lo)

	// Partition in place and recurse.
	i := 0
	for j, r := range idx {
		if d.flat[int(r)*k+feature] < split {
			idx[i], idx[j] = idx[j], idx[i]
			i++
		}
	}
	left := d.grow(tree, idx[:i], depth+1, limit)
	right := d.grow(tree, idx[i:], depth+1, limit)
	tree.nodes[at] = iforestNode{split: split, feature: int32(feature), left: left, right: right}
	return at
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
			return depth + n.split
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
