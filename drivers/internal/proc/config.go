package proc

import (
	"fmt"

	"github.com/constellation-sched/constellation/drivers"
)

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
		return nil, fmt.Errorf("%w: \"command\" is missing: set it to the program to run", drivers.ErrBadConfig)
	}
	if c.Command, ok = raw.(string); !ok {
		return nil, fmt.Errorf("%w: \"command\" must be a string, got %T", drivers.ErrBadConfig, raw)
	}
	if c.Command == "" {
		return nil, fmt.Errorf("%w: \"command\" is empty: set it to the program to run", drivers.ErrBadConfig)
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
		return nil, fmt.Errorf("%w: \"args\" must be a list of strings, got %T", drivers.ErrBadConfig, args)
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
