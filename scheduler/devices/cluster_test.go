package devices

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/constellation-sched/constellation/api"
)

// gpuModel describes one GPU model of the synthetic cluster and its MIG
// profiles by compute slices.
type gpuModel struct {
	name     string
	memMB    int
	cc       string
	profiles map[int]migProfileSpec
}

// migProfileSpec is one MIG profile: its name and memory.
type migProfileSpec struct {
	name  string
	memMB int
}

// The models of the synthetic cluster, with the memory their drivers
// report and their 1-, 2- and 3-slice MIG profiles.
var (
	modelA100x40 = gpuModel{name: a100_40, memMB: 40960, cc: "8.0", profiles: map[int]migProfileSpec{
		1: {"1g.5gb", 4864}, 2: {"2g.10gb", 9728}, 3: {"3g.20gb", 19968}}}
	modelA100x80 = gpuModel{name: a100_80, memMB: 81920, cc: "8.0", profiles: map[int]migProfileSpec{
		1: {"1g.10gb", 9856}, 2: {"2g.20gb", 19968}, 3: {"3g.40gb", 40192}}}
	modelH100 = gpuModel{name: h100, memMB: 81559, cc: "9.0", profiles: map[int]migProfileSpec{
		1: {"1g.10gb", 9856}, 2: {"2g.20gb", 19968}, 3: {"3g.40gb", 40192}}}
)

// migLayouts are the MIG layouts of the synthetic cluster's MIG GPUs, as
// compute slices per instance; GPU j of a MIG node uses layout j mod 3.
var migLayouts = [][]int{{1, 1, 1, 1, 1, 1, 1}, {3, 2, 1, 1}, {3, 3}}

// syntheticCluster returns n nodes of 8 GPUs each: 40% A100-40GB, 30%
// A100-80GB and 30% H100 nodes in random order, a third of them (chosen
// at random) with every GPU in MIG mode.
func syntheticCluster(r *rand.Rand, n int) []*api.Node {
	nodes := make([]*api.Node, n)
	for i := range nodes {
		var m gpuModel
		switch p := r.Float64(); {
		case p < 0.4:
			m = modelA100x40
		case p < 0.7:
			m = modelA100x80
		default:
			m = modelH100
		}
		id := fmt.Sprintf("node-%04d", i)
		if r.Intn(3) == 0 {
			nodes[i] = migNode(id, m)
		} else {
			nodes[i] = testNode(id, gpuGroup(m.name, m.memMB, 8, id+"-gpu", m.cc))
		}
	}
	return nodes
}

// migNode returns a node whose eight GPUs of model m are in MIG mode.
func migNode(id string, m gpuModel) *api.Node {
	groups := map[int]*api.DeviceGroup{}
	for j := range 8 {
		parent := fmt.Sprintf("%s-gpu-%d", id, j)
		for k, slices := range migLayouts[j%len(migLayouts)] {
			p := m.profiles[slices]
			g := groups[slices]
			if g == nil {
				g = migGroup(m.name, p.name, p.memMB, nil, 0)
				g.Attributes["compute_capability"] = m.cc
				groups[slices] = g
			}
			g.Instances = append(g.Instances, &api.DeviceInstance{
				ID: fmt.Sprintf("%s/mig-%d", parent, k), ParentID: parent,
				MIGProfile: p.name, MemoryMB: p.memMB, Healthy: true,
			})
		}
	}
	return testNode(id, groups[1], groups[2], groups[3])
}

// job is one arrival of the synthetic workload.
type job struct {
	arrive, duration int
	class            string
	reqs             []*api.DeviceRequest
}

// Workload classes.
const (
	classWhole     = "whole GPU"
	classMulti     = "multi-GPU"
	classMIG       = "MIG"
	classMPS       = "MPS"
	classTimeslice = "timeslice"
)

// workloadClasses lists the classes in the order tables show them.
var workloadClasses = []string{classWhole, classMulti, classMIG, classMPS, classTimeslice}

// syntheticWorkload returns perStep arrivals (on average, Poisson) for
// each of steps steps, each lasting 5 to 60 steps: 30% one whole GPU (40%
// of them needing 60 GB), 10% 2, 4 or 8 GPUs (30% needing 70 GB), 25% one
// MIG instance (1, 2 or 3 slices, of the 40 GB or the 80 GB family), 25%
// an MPS share (10-50% of compute, 2-20 GB) and 10% a timeslice share.
func syntheticWorkload(r *rand.Rand, steps int, perStep float64) []job {
	var jobs []job
	for step := range steps {
		for range poisson(r, perStep) {
			j := job{arrive: step, duration: 5 + r.Intn(56)}
			j.class, j.reqs = randomJobRequest(r)
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// randomJobRequest draws one request of the synthetic workload's mix.
func randomJobRequest(r *rand.Rand) (string, []*api.DeviceRequest) {
	req := &api.DeviceRequest{Name: "nvidia/gpu", Count: 1}
	var class string
	switch p := r.Float64(); {
	case p < 0.30:
		class = classWhole
		if r.Float64() < 0.4 {
			req.MinMemoryMB = 60000
		}
	case p < 0.40:
		class = classMulti
		req.Count = []int{2, 2, 2, 2, 2, 4, 4, 4, 8, 8}[r.Intn(10)]
		if r.Float64() < 0.3 {
			req.MinMemoryMB = 70000
		}
	case p < 0.65:
		class = classMIG
		slices := []int{1, 1, 1, 1, 1, 1, 2, 2, 2, 3}[r.Intn(10)]
		family := modelA100x80
		if r.Float64() < 0.4 {
			family = modelA100x40
		}
		req.MIGProfile = family.profiles[slices].name
	case p < 0.90:
		class = classMPS
		req.Sharing = api.SharingMPS
		req.MPSComputePercent = []int{10, 20, 25, 30, 50}[r.Intn(5)]
		req.MPSMemoryMB = 1024 * (2 + r.Intn(19))
	default:
		class = classTimeslice
		req.Sharing = api.SharingTimeslice
	}
	return class, []*api.DeviceRequest{req}
}

// poisson draws a Poisson-distributed count with the given mean.
func poisson(r *rand.Rand, mean float64) int {
	n, p := 0, r.Float64()
	for limit := math.Exp(-mean); p > limit; n++ {
		p *= r.Float64()
	}
	return n
}
