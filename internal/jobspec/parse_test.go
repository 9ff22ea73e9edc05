package jobspec

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

const fullHCL = `
# A job using every block the format knows.
job "train" {
  name        = "training"
  type        = "batch"
  priority    = 70
  datacenters = ["dc1", "dc2"]

  meta {
    owner = "ml"
    tier  = 2
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  group "workers" {
    count = 3

    restart {
      attempts = 2
      interval = "5m"
      delay    = "5s"
      mode     = "delay"
    }

    constraint {
      attribute = "${attr.cpu.arch}"
      operator  = "!="
      value     = "arm64"
    }

    meta { shard = "a" }

    task "fit" {
      driver       = "wasm"
      kill_timeout = "7s"

      config {
        module  = "fit.wasm"
        args    = ["--epochs", "3", "${node.unique.name}"]
        mounts  = [{ host = "/srv/data", guest = "/data", readonly = true }]
        fuel    = 1000
        ratio   = 0.5
        verbose = false
        timeout = "60s"
      }

      env {
        K    = "v"
        SEED = 7
      }

      meta { step = "fit" }

      constraint {
        attribute = "${meta.rack}-${attr.cpu.arch}"
        operator  = "regexp"
        value     = "r1-.*"
      }

      resources {
        cpu    = 200
        memory = 64

        device "nvidia/gpu" {
          count               = 1
          memory              = 40000
          vendor              = "nvidia"
          model               = "A100.*"
          compute_capability  = "8.0"
          mig_profile         = "1g.10gb"
          sharing             = "timeslice"

          constraint {
            attribute = "${device.attr.driver_version}"
            operator  = "version"
            value     = ">= 535"
          }

          affinity {
            attribute = "${device.model}"
            operator  = "regexp"
            value     = "H100"
            weight    = 50
          }
        }

        device "gpu" {
          sharing             = "mps"
          mps_compute_percent = 50
          mps_memory          = 10000
        }
      }
    }
  }
}
`

func TestParse_HCLEveryBlock(t *testing.T) {
	job, err := Parse("train.hcl", []byte(fullHCL))
	require.NoError(t, err)

	assert.Equal(t, "train", job.ID)
	assert.Equal(t, "training", job.Name)
	assert.Equal(t, api.JobTypeBatch, job.Type)
	assert.Equal(t, 70, job.Priority)
	assert.Equal(t, []string{"dc1", "dc2"}, job.Datacenters)
	assert.Equal(t, map[string]string{"owner": "ml", "tier": "2"}, job.Meta)
	assert.Equal(t, []*api.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		job.Constraints)

	require.Len(t, job.TaskGroups, 1)
	tg := job.TaskGroups[0]
	assert.Equal(t, "workers", tg.Name)
	assert.Equal(t, 3, tg.Count)
	assert.Equal(t, &api.RestartPolicy{
		Attempts: 2, Interval: int64(5 * time.Minute), Delay: int64(5 * time.Second), Mode: "delay",
	}, tg.RestartPolicy)
	assert.Equal(t, []*api.Constraint{{LTarget: "${attr.cpu.arch}", RTarget: "arm64", Operand: "!="}},
		tg.Constraints)
	assert.Equal(t, map[string]string{"shard": "a"}, tg.Meta)

	require.Len(t, tg.Tasks, 1)
	task := tg.Tasks[0]
	assert.Equal(t, "fit", task.Name)
	assert.Equal(t, "wasm", task.Driver)
	assert.Equal(t, int64(7*time.Second), task.KillTimeout)
	assert.Equal(t, map[string]any{
		"module": "fit.wasm",
		"args":   []any{"--epochs", "3", "${node.unique.name}"},
		"mounts": []any{map[string]any{"host": "/srv/data", "guest": "/data", "readonly": true}},
		"fuel":   int64(1000), "ratio": 0.5, "verbose": false, "timeout": "60s",
	}, task.Config)
	assert.Equal(t, map[string]string{"K": "v", "SEED": "7"}, task.Env)
	assert.Equal(t, map[string]string{"step": "fit"}, task.Meta)
	assert.Equal(t, "${meta.rack}-${attr.cpu.arch}", task.Constraints[0].LTarget)

	res := task.Resources
	require.NotNil(t, res)
	assert.Equal(t, 200, res.CPU)
	assert.Equal(t, 64, res.MemoryMB)
	require.Len(t, res.Devices, 2)
	assert.Equal(t, &api.DeviceRequest{
		Name: "nvidia/gpu", Count: 1, MinMemoryMB: 40000, Vendor: "nvidia", Model: "A100.*",
		MinComputeCapability: "8.0", MIGProfile: "1g.10gb", Sharing: "timeslice",
		Constraints: []*api.Constraint{{LTarget: "${device.attr.driver_version}", RTarget: ">= 535", Operand: "version"}},
		Affinities:  []*api.Affinity{{LTarget: "${device.model}", RTarget: "H100", Operand: "regexp", Weight: 50}},
	}, res.Devices[0])
	assert.Equal(t, &api.DeviceRequest{
		Name: "gpu", Count: 1, Sharing: "mps", MPSComputePercent: 50, MPSMemoryMB: 10000,
	}, res.Devices[1])
}

func TestParse_HCLDefaults(t *testing.T) {
	src := `job "web" {
  group "g" {
    task "t" { driver = "exec" }
  }
}`
	job, err := Parse("web.hcl", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, "web", job.Name)
	assert.Equal(t, api.JobTypeService, job.Type)
	assert.Equal(t, 50, job.Priority)
	assert.Equal(t, 1, job.TaskGroups[0].Count)
	// The servers' defaults are filled in, so that what is validated here
	// is what the servers store.
	assert.Equal(t, &api.RestartPolicy{Attempts: 2, Interval: int64(30 * time.Minute),
		Delay: int64(5 * time.Second), Mode: api.RestartModeFail}, job.TaskGroups[0].RestartPolicy)
	task := job.TaskGroups[0].Tasks[0]
	assert.Equal(t, &api.Resources{CPU: api.DefaultCPU, MemoryMB: api.DefaultMemory}, task.Resources)
	assert.Equal(t, int64(5*time.Second), task.KillTimeout)
}

func TestParse_JSON(t *testing.T) {
	want, err := Parse("train.hcl", []byte(fullHCL))
	require.NoError(t, err)
	bare, err := json.Marshal(want)
	require.NoError(t, err)
	wrapped, err := json.Marshal(map[string]any{"Job": want})
	require.NoError(t, err)

	for name, src := range map[string][]byte{"bare": bare, "wrapped": wrapped} {
		t.Run(name, func(t *testing.T) {
			got, err := Parse("train.json", src)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestParse_JSONDefaults(t *testing.T) {
	src := `{"ID": "j", "TaskGroups": [{"Name": "g", "Count": 2,
	  "Tasks": [{"Name": "t", "Driver": "exec", "Config": {"command": "/bin/true", "n": 2, "x": 1.5}}]}]}`
	job, err := Parse("j.json", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, api.JobTypeService, job.Type)
	assert.Equal(t, 50, job.Priority)
	assert.Equal(t, map[string]any{"command": "/bin/true", "n": int64(2), "x": 1.5},
		job.TaskGroups[0].Tasks[0].Config)
}

func TestParse_BadInput(t *testing.T) {
	tests := []struct {
		name, file, src string
		wantErr         []string
	}{
		{"unknown block", "a.hcl", `job "a" {
  group "g" {
    task "t" {
      driver = "exec"
      resorces { cpu = 1 }
    }
  }
}`, []string{"a.hcl:5:7", "resorces"}},
		{"unknown attribute", "a.hcl", `job "a" {
  group "g" {
    cont = 2
    task "t" { driver = "exec" }
  }
}`, []string{"a.hcl:3:5", "cont"}},
		{"bad duration", "a.hcl", `job "a" {
  group "g" {
    restart { interval = "5 minutes" }
    task "t" { driver = "exec" }
  }
}`, []string{"a.hcl:3:26", "Invalid duration", `"5m"`}},
		{"missing job label", "a.hcl", `job {
  group "g" {
    task "t" {
      driver = "exec"
    }
  }
}`, []string{"a.hcl:1:", "label"}},
		{"no job block", "a.hcl", `group "g" {}`, []string{"a.hcl:1:1", "group"}},
		{"empty file", "a.hcl", ``, []string{"Missing job block"}},
		{"two jobs", "a.hcl", `job "a" {}
job "b" {}`, []string{"a.hcl:2:1", "Duplicate job block"}},
		{"missing driver", "a.hcl", `job "a" {
  group "g" {
    task "t" {
    }
  }
}`, []string{"a.hcl:3:", "driver"}},
		{"count as string", "a.hcl", `job "a" {
  group "g" {
    count = "three"
    task "t" { driver = "exec" }
  }
}`, []string{"a.hcl:3:13", "whole number"}},
		{"bad operator", "a.hcl", `job "a" {
  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "=="
  }
  group "g" {
    task "t" {
      driver = "exec"
    }
  }
}`, []string{"a.hcl:4:17", "regexp"}},
		{"nested config block", "a.hcl", `job "a" {
  group "g" {
    task "t" {
      driver = "exec"
      config {
        port_map { http = 80 }
      }
    }
  }
}`, []string{"a.hcl:6:9", "port_map = {"}},
		{"bare variable", "a.hcl", `job "a" {
  constraint { attribute = attr.kernel.name }
  group "g" {
    task "t" {
      driver = "exec"
    }
  }
}`, []string{"a.hcl:2:28", "Variables not allowed"}},
		{"syntax error", "a.hcl", `job "a" {`, []string{"a.hcl:1:"}},
		{"unknown job type", "a.hcl", `job "a" {
  type = "cron"
  group "g" {
    task "t" {
      driver = "exec"
    }
  }
}`, []string{`job type "cron"`, "service"}},
		{"no groups", "a.hcl", `job "a" {}`, []string{"no task groups"}},
		{"unknown driver", "a.hcl", `job "a" {
  group "g" {
    task "t" {
      driver = "docker"
    }
  }
}`, []string{`driver "docker" is not known`, "wasm"}},
		{"affinity without weight range", "a.hcl", `job "a" {
  group "g" {
    task "t" {
      driver = "gpu"
      resources {
        device "gpu" {
          affinity {
            attribute = "${device.model}"
            value     = "H100"
            weight    = 0
          }
        }
      }
    }
  }
}`, []string{"affinity weight 0"}},
		{"bad restart mode", "a.hcl", `job "a" {
  group "g" {
    restart { mode = "retry" }
    task "t" { driver = "exec" }
  }
}`, []string{`restart mode "retry"`}},
		{"mps without sharing", "a.hcl", `job "a" {
  group "g" {
    task "t" {
      driver = "gpu"
      resources {
        device "gpu" { mps_compute_percent = 50 }
      }
    }
  }
}`, []string{`sharing = "mps"`}},
		{"json syntax", "a.json", "{\n  \"ID\": \"a\",\n  \"TaskGroups\": [,]\n}", []string{"a.json:3:"}},
		{"json unknown field", "a.json", `{"ID": "a", "Groups": []}`, []string{`"Groups"`, "TaskGroups"}},
		{"json wrong type", "a.json", "{\"ID\": \"a\",\n \"Priority\": \"high\"}", []string{"a.json:2:", "Priority"}},
		{"json missing id", "a.json", `{"TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "exec"}]}]}`,
			[]string{"job ID is missing"}},
		{"json null", "a.json", `null`, []string{"holds no job"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.file, []byte(tt.src))
			require.Error(t, err)
			require.ErrorIs(t, err, ErrInvalidJob)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}
