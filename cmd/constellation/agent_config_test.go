package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAgentConfig_FileAndFlags(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`
server           = true
name             = "s1"
data_dir         = "/var/lib/constellation"
bootstrap_expect = 3
join             = ["10.0.0.2", "10.0.0.3:9000"]
http_port        = 9480
`), 0o600))

	cmd := newAgentCmd()
	require.NoError(t, cmd.ParseFlags([]string{"--config", path, "--name", "s9"}))
	file := defaultAgentConfig()
	require.NoError(t, loadConfigFile(path, &file))
	flags := defaultAgentConfig()
	flags.Name = "s9"
	applyChangedFlags(cmd, &file, &flags)
	require.NoError(t, file.finish())

	require.True(t, file.Server)
	require.Equal(t, "s9", file.Name, "a flag given on the command line wins over the file")
	require.Equal(t, 3, file.BootstrapExpect)
	require.Equal(t, 9480, file.HTTPPort)
	require.Equal(t, []string{"10.0.0.2:7482", "10.0.0.3:9000"}, file.joinAddrs())
}

func TestAgentConfig_Refuses(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(c *agentConfig)
		want   string
	}{
		{"nothing to run", func(c *agentConfig) { c.DataDir = "/d" }, "pass -server, -client or -dev"},
		{"no data dir", func(c *agentConfig) { c.Server = true }, "-data-dir is required"},
		{"bad port", func(c *agentConfig) { c.Dev, c.HTTPPort = true, 70000 }, "-http-port 70000 is not a port"},
		{"bad bind", func(c *agentConfig) { c.Dev, c.Bind = true, "localhost:1" }, "-bind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultAgentConfig()
			tc.mutate(&c)
			err := c.finish()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestAgentConfig_UnknownFileKeyIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`sevrer = true`), 0o600))
	c := defaultAgentConfig()
	err := loadConfigFile(path, &c)
	require.Error(t, err)
	require.Contains(t, err.Error(), "sevrer")
}
