package schedtest

import (
	"github.com/constellation-sched/constellation/api"
)

// Node returns a ready, eligible node in datacenter "dc1" with the exec
// driver, linux attributes and the given CPU (MHz) and memory (MB).
func Node(id string, cpu, memoryMB int) *api.Node {
	return &api.Node{
		ID:          id,
		Name:        "name-" + id,
		Datacenter:  "dc1",
		Attributes:  map[string]string{"kernel.name": "linux", "cpu.arch": "amd64", "driver.exec": "1"},
		Meta:        map[string]string{},
		Resources:   &api.NodeResources{CPU: cpu, MemoryMB: memoryMB},
		Reserved:    &api.NodeResources{},
		Drivers:     []string{"exec"},
		Status:      api.NodeStatusReady,
		Eligibility: api.NodeEligible,
	}
}

// ServiceJob returns a service job with one group "web" of count
// allocations, each one exec task "server" asking for cpu MHz and memoryMB.
func ServiceJob(id string, count, cpu, memoryMB int) *api.Job {
	return &api.Job{
		ID:          id,
		Name:        id,
		Type:        api.JobTypeService,
		Priority:    50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*api.TaskGroup{{
			Name:  "web",
			Count: count,
			Tasks: []*api.Task{{
				Name:      "server",
				Driver:    "exec",
				Config:    map[string]any{"command": "/bin/server"},
				Resources: &api.Resources{CPU: cpu, MemoryMB: memoryMB},
			}},
		}},
	}
}

// BatchJob is ServiceJob for a batch job.
func BatchJob(id string, count, cpu, memoryMB int) *api.Job {
	job := ServiceJob(id, count, cpu, memoryMB)
	job.Type = api.JobTypeBatch
	return job
}
