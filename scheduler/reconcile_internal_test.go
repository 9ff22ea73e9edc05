package scheduler

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/constellation-sched/constellation/api"
)

func TestAllocIndex_Parse(t *testing.T) {
	tests := []struct {
		name string
		want int
	}{
		{"web.web[0]", 0},
		{"web.web[12]", 12},
		{"a.b[c].d[3]", 3},
		{"web.web", math.MaxInt},
		{"web.web[-1]", math.MaxInt},
		{"web.web[x]", math.MaxInt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, allocIndex(tt.name))
		})
	}
}

func TestCandidateLimit_Rule(t *testing.T) {
	tests := []struct{ n, override, want int }{
		{3, 0, 3}, {16, 0, 16}, {1000, 0, 16}, {1000, 5, 5}, {3, 5, 3}, {1000, -1, 1000},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, candidateLimit(tt.n, tt.override), "n=%d override=%d", tt.n, tt.override)
	}
}

func TestBinPackScore_FavoursFullerNodes(t *testing.T) {
	node := &api.Node{Resources: &api.NodeResources{CPU: 4000, MemoryMB: 8192}}
	prev := -1.0
	for used := 0; used <= 3500; used += 500 {
		u := &nodeUsage{cpu: used, memoryMB: used * 2}
		score := binPackScore(node, u, 500, 1024)
		assert.Greater(t, score, prev, "used %d", used)
		assert.GreaterOrEqual(t, score, 0.0)
		assert.LessOrEqual(t, score, 1.0)
		prev = score
	}
	full := &nodeUsage{cpu: 3500, memoryMB: 7168}
	assert.InDelta(t, 1.0, binPackScore(node, full, 500, 1024), 1e-9)
}

func TestSpecChanged_Fields(t *testing.T) {
	base := func() *api.Job {
		return &api.Job{ID: "j", Type: api.JobTypeService, Datacenters: []string{"dc1"},
			TaskGroups: []*api.TaskGroup{{Name: "g", Count: 1, Tasks: []*api.Task{{
				Name: "t", Driver: "exec", Config: map[string]any{"command": "a"},
				Resources: &api.Resources{CPU: 100, MemoryMB: 64},
			}}}}}
	}
	tests := []struct {
		name    string
		change  func(j *api.Job)
		changed bool
	}{
		{"nothing", func(*api.Job) {}, false},
		{"count", func(j *api.Job) { j.TaskGroups[0].Count = 5 }, false},
		{"job meta", func(j *api.Job) { j.Meta = map[string]string{"a": "b"} }, false},
		{"empty constraints", func(j *api.Job) { j.Constraints = []*api.Constraint{} }, false},
		{"driver", func(j *api.Job) { j.TaskGroups[0].Tasks[0].Driver = "wasm" }, true},
		{"env", func(j *api.Job) { j.TaskGroups[0].Tasks[0].Env = map[string]string{"A": "1"} }, true},
		{"memory", func(j *api.Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 128 }, true},
		{"datacenters", func(j *api.Job) { j.Datacenters = []string{"dc2"} }, true},
		{"restart policy", func(j *api.Job) { j.TaskGroups[0].RestartPolicy = &api.RestartPolicy{Attempts: 2} }, true},
		{"type", func(j *api.Job) { j.Type = api.JobTypeBatch }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := base()
			tt.change(next)
			assert.Equal(t, tt.changed, specChanged(base(), next, "g"))
		})
	}
}
