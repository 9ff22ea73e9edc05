package wasm

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/constellation-sched/constellation/drivers"
)

// Config keys of a wasm task's driver block.
const (
	keyModule   = "module"
	keySHA256   = "sha256"
	keyArgs     = "args"
	keyFuel     = "fuel"
	keyMemoryMB = "memory_mb"
	keyTimeout  = "timeout"
	keyMounts   = "mounts"
)

// knownKeys lists every config key, for the message about an unknown one.
var knownKeys = []string{keyArgs, keyFuel, keyMemoryMB, keyModule, keyMounts, keySHA256, keyTimeout}

// taskConfig is a wasm task's driver block, checked and decoded.
type taskConfig struct {
	// Module is a file path or an http(s) URL.
	Module string
	// SHA256 is the expected hex digest of the module, lower case; empty
	// when not given.
	SHA256 string
	Args   []string
	// Fuel is the instruction budget; 0 means unlimited.
	Fuel uint64
	// MemoryMB is the memory limit; 0 means the task's memory resource.
	MemoryMB int
	// Timeout is the wall-clock limit; 0 means none.
	Timeout time.Duration
	Mounts  []mount
}

// mount is an extra host directory preopened for the module.
type mount struct {
	Host     string
	Guest    string
	ReadOnly bool
}

// isURL reports whether the module is fetched over HTTP.
func (tc *taskConfig) isURL() bool {
	return strings.HasPrefix(tc.Module, "http://") || strings.HasPrefix(tc.Module, "https://")
}

// parseConfig checks a task's driver block and decodes it. Its errors wrap
// drivers.ErrBadConfig and say which field to change and how.
func parseConfig(raw map[string]any) (*taskConfig, error) {
	for key := range raw {
		if !isKnownKey(key) {
			return nil, badConfig("unknown key config.%s: the wasm driver takes %s",
				key, strings.Join(knownKeys, ", "))
		}
	}

	tc := &taskConfig{}
	steps := []func(map[string]any, *taskConfig) error{
		parseModule, parseArgs, parseFuel, parseMemory, parseTimeout, parseMounts,
	}
	for _, step := range steps {
		if err := step(raw, tc); err != nil {
			return nil, err
		}
	}
	return tc, nil
}

// parseModule reads module and sha256.
func parseModule(raw map[string]any, tc *taskConfig) error {
	v, ok := raw[keyModule]
	if !ok {
		return badConfig("config.module is missing: set it to the .wasm file's path or an http(s) URL")
	}
	s, ok := v.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return badConfig("config.module must be a non-empty string (a path or an http(s) URL), got %v", v)
	}
	tc.Module = s

	if v, ok := raw[keySHA256]; ok {
		sum, ok := v.(string)
		if !ok {
			return badConfig("config.sha256 must be a string of 64 hex digits, got %v", v)
		}
		sum = strings.ToLower(strings.TrimPrefix(sum, "sha256:"))
		if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 {
			return badConfig("config.sha256 must be 64 hex digits (the output of sha256sum), got %q", sum)
		}
		tc.SHA256 = sum
	}

	if tc.isURL() {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return badConfig("config.module %q is not a valid URL: fix it or give a file path", s)
		}
		if tc.SHA256 == "" {
			return badConfig("config.sha256 is required when config.module is a URL: " +
				"set it to the module's sha256sum")
		}
	} else if strings.Contains(s, "://") {
		return badConfig("config.module %q: only http and https URLs are supported", s)
	}
	return nil
}

// parseArgs reads args.
func parseArgs(raw map[string]any, tc *taskConfig) error {
	v, ok := raw[keyArgs]
	if !ok {
		return nil
	}
	list, ok := toList(v)
	if !ok {
		return badConfig("config.args must be a list of strings, got %T", v)
	}
	for i, item := range list {
		s, ok := item.(string)
		if !ok {
			return badConfig("config.args[%d] must be a string, got %v", i, item)
		}
		tc.Args = append(tc.Args, s)
	}
	return nil
}

// parseFuel reads fuel.
func parseFuel(raw map[string]any, tc *taskConfig) error {
	v, ok := raw[keyFuel]
	if !ok {
		return nil
	}
	n, ok := toUint(v)
	if !ok {
		return badConfig("config.fuel must be a whole number of instructions (0 for no limit), got %v", v)
	}
	tc.Fuel = n
	return nil
}

// parseMemory reads memory_mb.
func parseMemory(raw map[string]any, tc *taskConfig) error {
	v, ok := raw[keyMemoryMB]
	if !ok {
		return nil
	}
	n, ok := toUint(v)
	if !ok || n == 0 || n > maxMemoryMB {
		return badConfig("config.memory_mb must be a whole number of MiB from 1 to %d, got %v",
			maxMemoryMB, v)
	}
	tc.MemoryMB = int(n)
	return nil
}

// parseTimeout reads timeout.
func parseTimeout(raw map[string]any, tc *taskConfig) error {
	v, ok := raw[keyTimeout]
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return badConfig("config.timeout must be a duration string such as \"30s\" or \"5m\", got %v", v)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return badConfig("config.timeout must be a positive duration such as \"30s\" or \"5m\", got %q",
			s)
	}
	tc.Timeout = d
	return nil
}

// parseMounts reads mounts.
func parseMounts(raw map[string]any, tc *taskConfig) error {
	v, ok := raw[keyMounts]
	if !ok {
		return nil
	}
	list, ok := toList(v)
	if !ok {
		return badConfig("config.mounts must be a list of {host, guest, readonly} blocks, got %T", v)
	}
	seen := map[string]bool{"/": true, allocGuestDir: true}
	for i, item := range list {
		m, err := parseMount(i, item)
		if err != nil {
			return err
		}
		if seen[m.Guest] {
			return badConfig("config.mounts[%d].guest %q is already used: "+
				"pick another path (/ and %s are the task and alloc directories)", i, m.Guest, allocGuestDir)
		}
		seen[m.Guest] = true
		tc.Mounts = append(tc.Mounts, m)
	}
	return nil
}

// parseMount reads the i'th mount block.
func parseMount(i int, item any) (mount, error) {
	fields, ok := toMap(item)
	if !ok {
		return mount{}, badConfig("config.mounts[%d] must be a block {host, guest, readonly}, got %T",
			i, item)
	}
	var m mount
	for key, v := range fields {
		switch key {
		case "host", "guest":
			s, ok := v.(string)
			if !ok || s == "" {
				return mount{}, badConfig("config.mounts[%d].%s must be a non-empty path, got %v", i, key, v)
			}
			if key == "host" {
				m.Host = s
			} else {
				m.Guest = s
			}
		case "readonly":
			b, ok := v.(bool)
			if !ok {
				return mount{}, badConfig("config.mounts[%d].readonly must be true or false, got %v", i, v)
			}
			m.ReadOnly = b
		default:
			return mount{}, badConfig("config.mounts[%d] has unknown key %q: use host, guest and readonly",
				i, key)
		}
	}
	if m.Host == "" || m.Guest == "" {
		return mount{}, badConfig("config.mounts[%d] needs both host and guest paths", i)
	}
	if !path.IsAbs(m.Guest) || path.Clean(m.Guest) != m.Guest {
		return mount{}, badConfig(
			"config.mounts[%d].guest %q must be a clean absolute path such as /data", i, m.Guest)
	}
	return m, nil
}

// badConfig returns an error wrapping drivers.ErrBadConfig.
func badConfig(format string, args ...any) error {
	return fmt.Errorf("%w: %s", drivers.ErrBadConfig, fmt.Sprintf(format, args...))
}

// isKnownKey reports whether key is a config key of the driver.
func isKnownKey(key string) bool {
	i := sort.SearchStrings(knownKeys, key)
	return i < len(knownKeys) && knownKeys[i] == key
}

// toList accepts the list shapes that HCL and JSON decoding produce.
func toList(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	case []map[string]any:
		out := make([]any, len(l))
		for i, m := range l {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

// toMap accepts an object as decoded from HCL or JSON.
func toMap(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// toUint accepts the number types that HCL and JSON decoding produce, when
// they hold a non-negative whole number.
func toUint(v any) (uint64, bool) {
	switch n := v.(type) {
	case int:
		return uint64(n), n >= 0
	case int32:
		return uint64(n), n >= 0
	case int64:
		return uint64(n), n >= 0
	case uint:
		return uint64(n), true
	case uint32:
		return uint64(n), true
	case uint64:
		return n, true
	case float64:
		if n < 0 || n != math.Trunc(n) || n >= math.MaxUint64 {
			return 0, false
		}
		return uint64(n), true
	case float32:
		return toUint(float64(n))
	case json.Number:
		u, err := strconv.ParseUint(n.String(), 10, 64)
		return u, err == nil
	}
	return 0, false
}
