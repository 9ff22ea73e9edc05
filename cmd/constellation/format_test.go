package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertAligned checks that every row of the table headed by a line
// holding header has a cell starting exactly under that header.
func assertAligned(t *testing.T, out, header string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var hi int
	for hi = range lines {
		if strings.Contains(lines[hi], header) {
			break
		}
	}
	col := strings.Index(lines[hi], header)
	require.Greater(t, col, 0, "no header %q past the first column in\n%s", header, out)
	for _, l := range lines[hi+1:] {
		if l == "" || strings.HasPrefix(l, "(") {
			break
		}
		require.Greater(t, len(l), col, "short row %q", l)
		assert.Equal(t, byte(' '), l[col-1], "column %q misaligned in row %q", header, l)
		assert.NotEqual(t, byte(' '), l[col], "column %q misaligned in row %q", header, l)
	}
}

func TestTable_Aligns(t *testing.T) {
	var buf bytes.Buffer
	tb := newTable(&buf, "ID", "Name", "Status")
	tb.row("a", "short", "ok")
	tb.row("bbbbbbbb", "a-much-longer-name", "failed")
	tb.flush()
	assertAligned(t, buf.String(), "Name")
	assertAligned(t, buf.String(), "Status")
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{30 * time.Second, "30s ago"},
		{5*time.Minute + 3*time.Second, "5m3s ago"},
		{26 * time.Hour, "1d2h ago"},
		{-time.Second, "just now"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, ago(now.Add(-tt.ago).UnixNano(), now))
		})
	}
	assert.Equal(t, "-", ago(0, now))
	assert.Equal(t, "-", formatTime(0))
	assert.Equal(t, "2026-03-01T12:00:00Z", formatTime(now.UnixNano()))
	assert.Equal(t, "12345678", shortID("123456789abc"))
}
