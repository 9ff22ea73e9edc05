package logging

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
)

func newBuf(level slog.Level) (*bytes.Buffer, *slog.Logger) {
	var buf bytes.Buffer
	return &buf, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
}

func TestStdLog_LevelFromTag(t *testing.T) {
	buf, l := newBuf(slog.LevelInfo)
	std := StdLog(l)
	std.Printf("[DEBUG] memberlist: hidden")
	std.Printf("[WARN] memberlist: shown %d", 1)
	out := buf.String()
	require.NotContains(t, out, "hidden")
	require.Contains(t, out, "level=WARN")
	require.Contains(t, out, `msg="memberlist: shown 1"`)
}

func TestHCLog_WritesThroughSlog(t *testing.T) {
	buf, l := newBuf(slog.LevelInfo)
	h := HCLog(l, "raft").Named("transport")
	h.Debug("quiet")
	h.Error("failed to contact", "peer", "10.0.0.1")
	out := buf.String()
	require.NotContains(t, out, "quiet")
	require.Contains(t, out, "component=raft.transport")
	require.Contains(t, out, "peer=10.0.0.1")
	require.Equal(t, hclog.Info, h.GetLevel())
	require.False(t, h.IsDebug())
}

func TestHCLog_ExpandsFmt(t *testing.T) {
	buf, l := newBuf(slog.LevelInfo)
	HCLog(l, "raft").Info("initial configuration", "servers", hclog.Fmt("%+v", []int{1, 2}))
	require.Contains(t, buf.String(), `servers="[1 2]"`)
}
