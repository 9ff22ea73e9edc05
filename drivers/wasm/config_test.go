package wasm

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/drivers"
)

func TestDriver_ValidateRejects(t *testing.T) {
	sum := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tests := []struct {
		name    string
		config  map[string]any
		wantMsg string
	}{
		{"no module", map[string]any{}, "config.module is missing: set it to"},
		{"module not a string", map[string]any{"module": 7}, "config.module must be a non-empty string"},
		{"url without sha256", map[string]any{"module": "https://example.com/m.wasm"},
			"config.sha256 is required when config.module is a URL"},
		{"other scheme", map[string]any{"module": "ftp://example.com/m.wasm", "sha256": sum},
			"only http and https URLs are supported"},
		{"short sha256", map[string]any{"module": "m.wasm", "sha256": "abc"}, "must be 64 hex digits"},
		{"unknown key", map[string]any{"module": "m.wasm", "fule": 5}, "unknown key config.fule"},
		{"negative fuel", map[string]any{"module": "m.wasm", "fuel": -1}, "config.fuel must be a whole number"},
		{"fractional fuel", map[string]any{"module": "m.wasm", "fuel": 1.5}, "config.fuel must be a whole number"},
		{"zero memory", map[string]any{"module": "m.wasm", "memory_mb": 0}, "config.memory_mb must be"},
		{"huge memory", map[string]any{"module": "m.wasm", "memory_mb": 5000}, "from 1 to 4096"},
		{"timeout not duration", map[string]any{"module": "m.wasm", "timeout": "soon"},
			"config.timeout must be a positive duration"},
		{"timeout as number", map[string]any{"module": "m.wasm", "timeout": 30}, "duration string"},
		{"args not strings", map[string]any{"module": "m.wasm", "args": []any{"a", 2}},
			"config.args[1] must be a string"},
		{"mount without guest", map[string]any{"module": "m.wasm",
			"mounts": []any{map[string]any{"host": "/tmp"}}}, "config.mounts[0] needs both host and guest"},
		{"relative guest", map[string]any{"module": "m.wasm",
			"mounts": []any{map[string]any{"host": "/tmp", "guest": "data"}}}, "clean absolute path"},
		{"guest on alloc", map[string]any{"module": "m.wasm",
			"mounts": []any{map[string]any{"host": "/tmp", "guest": "/alloc"}}}, "is already used"},
		{"mount unknown key", map[string]any{"module": "m.wasm",
			"mounts": []any{map[string]any{"host": "/tmp", "guest": "/d", "ro": true}}}, `unknown key "ro"`},
		{"readonly not bool", map[string]any{"module": "m.wasm",
			"mounts": []any{map[string]any{"host": "/tmp", "guest": "/d", "readonly": "yes"}}},
			"readonly must be true or false"},
	}
	d := newTestDriver(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Validate(tt.config)
			require.ErrorIs(t, err, drivers.ErrBadConfig)
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}

func TestDriver_ValidateAccepts(t *testing.T) {
	// The same config as HCL decodes it and as JSON decodes it.
	var fromJSON map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{
		"module": "examples/wasm/taxi.wasm",
		"args": ["/data/nyc_taxi.csv"],
		"mounts": [{"host": "../shared/data", "guest": "/data", "readonly": true}],
		"fuel": 50000000000, "memory_mb": 64, "timeout": "60s"
	}`), &fromJSON))
	fromHCL := map[string]any{
		"module":    "examples/wasm/taxi.wasm",
		"args":      []string{"/data/nyc_taxi.csv"},
		"mounts":    []map[string]any{{"host": "../shared/data", "guest": "/data", "readonly": true}},
		"fuel":      int64(50_000_000_000),
		"memory_mb": 64,
		"timeout":   "60s",
	}
	want := &taskConfig{
		Module:   "examples/wasm/taxi.wasm",
		Args:     []string{"/data/nyc_taxi.csv"},
		Fuel:     50_000_000_000,
		MemoryMB: 64,
		Timeout:  time.Minute,
		Mounts:   []mount{{Host: "../shared/data", Guest: "/data", ReadOnly: true}},
	}
	for name, raw := range map[string]map[string]any{"json": fromJSON, "hcl": fromHCL} {
		t.Run(name, func(t *testing.T) {
			got, err := parseConfig(raw)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// FuzzParseConfig holds parseConfig to its contract on any JSON-decoded
// config: it never panics, and every error wraps drivers.ErrBadConfig.
func FuzzParseConfig(f *testing.F) {
	f.Add(`{"module": "m.wasm", "fuel": 5, "timeout": "1s"}`)
	f.Add(`{"module": "https://h/m.wasm", "sha256": "` + strings.Repeat("a", 64) + `"}`)
	f.Add(`{"module": "m.wasm", "mounts": [{"host": "/", "guest": "/d", "readonly": true}]}`)
	f.Add(`{"module": "m.wasm", "args": ["a", 1], "memory_mb": -3}`)
	f.Fuzz(func(t *testing.T, src string) {
		var raw map[string]any
		if json.Unmarshal([]byte(src), &raw) != nil {
			return
		}
		if _, err := parseConfig(raw); err != nil {
			require.ErrorIs(t, err, drivers.ErrBadConfig)
		}
	})
}
