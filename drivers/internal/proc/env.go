package proc

import (
	"os"
	"sort"

	"github.com/constellation-sched/constellation/drivers"
)

// Environment variables every task gets.
const (
	EnvAllocID  = "CONSTELLATION_ALLOC_ID"
	EnvTaskName = "CONSTELLATION_TASK_NAME"
	EnvAllocDir = "CONSTELLATION_ALLOC_DIR"
	EnvTaskDir  = "CONSTELLATION_TASK_DIR"
)

// defaultPath is the PATH a task gets when neither it nor the agent has one.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// TaskEnv builds a task's environment: the agent's PATH (the rest of the
// agent's environment is not passed on, since it may hold secrets), then
// the task's own variables, then the CONSTELLATION_ variables, then extra,
// each layer overriding the one before.
func TaskEnv(cfg *drivers.TaskConfig, extra map[string]string) map[string]string {
	env := map[string]string{"PATH": os.Getenv("PATH")}
	if env["PATH"] == "" {
		env["PATH"] = defaultPath
	}
	for k, v := range cfg.Env {
		env[k] = v
	}
	env[EnvAllocID] = cfg.AllocID
	env[EnvTaskName] = cfg.TaskName
	env[EnvAllocDir] = cfg.AllocDir
	env[EnvTaskDir] = cfg.TaskDir
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// EnvList turns an environment map into sorted KEY=value entries.
func EnvList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
