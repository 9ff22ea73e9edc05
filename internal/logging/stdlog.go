package logging

import (
	"context"
	"log"
	"log/slog"
	"strings"
)

// StdLog returns a *log.Logger whose lines go to l, at the level named by a
// leading "[DEBUG]", "[INFO]", "[WARN]" or "[ERR]" tag as memberlist writes
// them.
func StdLog(l *slog.Logger) *log.Logger {
	return log.New(&stdWriter{l: l}, "", 0)
}

// stdWriter turns each write of a standard logger into one slog record.
type stdWriter struct {
	l *slog.Logger
}

func (w *stdWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for tag, lv := range map[string]slog.Level{
		"[DEBUG]": slog.LevelDebug, "[TRACE]": slog.LevelDebug,
		"[INFO]": slog.LevelInfo, "[WARN]": slog.LevelWarn,
		"[ERR]": slog.LevelError, "[ERROR]": slog.LevelError,
	} {
		if rest, ok := strings.CutPrefix(msg, tag); ok {
			level, msg = lv, strings.TrimSpace(rest)
			break
		}
	}
	w.l.Log(context.Background(), level, msg)
	return len(p), nil
}
