package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/server"
)

func TestNormalizeArgs_SingleDashLongFlags(t *testing.T) {
	root := newRootCmd()
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"address", []string{"job", "status", "-address", "http://x:1"},
			[]string{"job", "status", "--address", "http://x:1"}},
		{"address with equals", []string{"-address=http://x:1", "status"},
			[]string{"--address=http://x:1", "status"}},
		{"verb flags", []string{"job", "stop", "-purge", "web"}, []string{"job", "stop", "--purge", "web"}},
		{"shorthand kept", []string{"alloc", "logs", "-f", "abc"}, []string{"alloc", "logs", "-f", "abc"}},
		{"unknown word kept", []string{"job", "run", "-nosuch"}, []string{"job", "run", "-nosuch"}},
		{"after double dash", []string{"job", "status", "--", "-purge"}, []string{"job", "status", "--", "-purge"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, normalizeArgs(root, tt.in))
		})
	}
}

func TestRootCmd_HasEveryVerb(t *testing.T) {
	root := newRootCmd()
	for _, path := range [][]string{
		{"job", "run"}, {"job", "status"}, {"job", "stop"}, {"job", "versions"}, {"job", "scale"},
		{"job", "validate"}, {"alloc", "status"}, {"alloc", "logs"}, {"node", "status"},
		{"node", "drain"}, {"server", "members"}, {"operator", "raft", "list-peers"}, {"status"},
		{"gpu", "status"}, {"agent"},
	} {
		cmd, rest, err := root.Find(path)
		assert.NoError(t, err, "%v", path)
		assert.Empty(t, rest, "%v", path)
		assert.Equal(t, path[len(path)-1], cmd.Name())
	}
}

func TestRoot_PrintsVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-version"} {
		root := newRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(normalizeArgs(root, []string{flag}))
		require.NoError(t, root.Execute())
		require.Contains(t, out.String(), "constellation version "+server.Version)
	}
}
