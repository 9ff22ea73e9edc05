package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/constellation-sched/constellation"

// allowed maps a folder to the project folders its packages may import.
// A folder not listed may import any project package except cmd.
var allowed = map[string][]string{
	"api":       {"api"},
	"fsm":       {"fsm", "api"},
	"scheduler": {"scheduler", "fsm", "api"},
	"drivers":   {"drivers", "api"},
	"telemetry": {"telemetry", "api"},
	"e2e":       {"e2e", "api", "internal/jobspec"},
	"client":    {"client", "drivers", "api", "internal", "telemetry"},
}

// folder returns the top-level folder of a project import path ("drivers",
// "internal/jobspec" for internal packages).
func folder(path string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	parts := strings.Split(rel, "/")
	if parts[0] == "internal" && len(parts) > 1 {
		return "internal/" + parts[1]
	}
	return parts[0]
}

func permitted(from, to string) bool {
	if folder(to) == "cmd" {
		return false
	}
	rules, ok := allowed[folder(from)]
	if !ok {
		return true
	}
	for _, r := range rules {
		if folder(to) == r || (r == "internal" && strings.HasPrefix(folder(to), "internal/")) {
			return true
		}
	}
	return false
}

func TestImports_FollowArchitecture(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"/...")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), stderr.String())

	checked := 0
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		from := fields[0]
		for _, to := range fields[1:] {
			if !strings.HasPrefix(to, module+"/") {
				continue
			}
			checked++
			if !permitted(from, to) {
				t.Errorf("%s imports %s: ARCHITECTURE.md does not allow %s to import %s",
					from, to, folder(from), folder(to))
			}
		}
	}
	require.Positive(t, checked, "no project imports were seen")
}

func TestImports_RuleCatchesForbiddenEdges(t *testing.T) {
	cases := []struct {
		from, to string
		ok       bool
	}{
		{"scheduler", "server", false},
		{"drivers/wasm", "client", false},
		{"api", "fsm", false},
		{"server", "cmd/constellation", false},
		{"scheduler", "scheduler/devices", true},
		{"server", "scheduler", true},
		{"client", "drivers/wasm", true},
	}
	for _, tc := range cases {
		require.Equal(t, tc.ok, permitted(module+"/"+tc.from, module+"/"+tc.to), "%s -> %s", tc.from, tc.to)
	}
}
