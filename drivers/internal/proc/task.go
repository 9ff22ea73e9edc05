package proc

import (
	"fmt"
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

// setCommand says how to fix a missing command.
const setCommand = "set it to the program to run"

// Command is the part of a driver config that names what to run.
type Command struct {
	Command string
	Args    []string
}

// ParseCommand reads "command" (a non-empty string) and "args" (a list of
// strings, optional) from a task's driver config. Errors wrap
// drivers.ErrBadConfig and name the field to change.
func ParseCommand(config map[string]any) (*Command, error) {
	c := &Command{}
	raw, ok := config["command"]
	if !ok {
		return nil, fmt.Errorf("%w: \"command\" is missing: %s", drivers.ErrBadConfig, setCommand)
	}
	if c.Command, ok = raw.(string); !ok {
		return nil, fmt.Errorf("%w: \"command\" must be a string, got %T", drivers.ErrBadConfig, raw)
	}
	if c.Command == "" {
		return nil, fmt.Errorf("%w: \"command\" is empty: %s", drivers.ErrBadConfig, setCommand)
	}

	switch args := config["args"].(type) {
	case nil:
	case []string:
		c.Args = args
	case []any:
		for i, a := range args {
			s, ok := a.(string)
			if !ok {
				return nil, fmt.Errorf("%w: \"args\"[%d] must be a string, got %T", drivers.ErrBadConfig, i, a)
			}
			c.Args = append(c.Args, s)
		}
	default:
		return nil, fmt.Errorf("%w: \"args\" must be a list of strings, got %T",
			drivers.ErrBadConfig, args)
	}
	return c, nil
}

// CheckKeys returns an error naming the first key of config not in known.
func CheckKeys(config map[string]any, known ...string) error {
	for k := range config {
		found := false
		for _, n := range known {
			found = found || k == n
		}
		if !found {
			return fmt.Errorf("%w: unknown field %q: the fields are %v", drivers.ErrBadConfig, k, known)
		}
	}
	return nil
}
