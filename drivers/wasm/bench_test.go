package wasm

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/drivers"
)

// BenchmarkDriver_StartTaxi compares the start of the taxi module when it
// must be compiled (an empty cache) with its start from the disk cache (a
// restarted driver) and from the memory cache (a second task). Each
// iteration runs all three; the metrics are the mean time Start took in
// each case, and how many times faster the disk-cached start is than the
// compiling one. ns/op covers the whole iteration, the module's runs
// included.
//
//	go test -run '^$' -bench StartTaxi -benchtime 5x ./drivers/wasm
func BenchmarkDriver_StartTaxi(b *testing.B) {
	var compile, disk, memory time.Duration
	for i := 0; i < b.N; i++ {
		cacheDir := b.TempDir()

		first := newBenchDriver(b, cacheDir)
		compile += timeStart(b, first)
		require.NoError(b, first.Close())

		restarted := newBenchDriver(b, cacheDir)
		disk += timeStart(b, restarted)
		memory += timeStart(b, restarted)
		require.NoError(b, restarted.Close())

		require.Equal(b, CacheStats{Compiles: 1}, first.CacheStats())
		require.Equal(b, CacheStats{DiskHits: 1, MemoryHits: 1}, restarted.CacheStats())
	}

	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	b.ReportMetric(ms(compile), "compile-ms/start")
	b.ReportMetric(ms(disk), "disk-cache-ms/start")
	b.ReportMetric(ms(memory), "memory-cache-ms/start")
	b.ReportMetric(float64(compile)/float64(disk), "disk-vs-compile-x")
}

// newBenchDriver returns a driver caching into cacheDir.
func newBenchDriver(b *testing.B, cacheDir string) *Driver {
	d, err := New(Options{CacheDir: cacheDir})
	require.NoError(b, err)
	return d
}

// timeStart starts the taxi task, returns how long Start took, and waits
// for the task to succeed.
func timeStart(b *testing.B, d *Driver) time.Duration {
	cfg := newTaskConfig(b, map[string]any{
		"module": modules["taxi"],
		"args":   []any{"/data/nyc_taxi.csv"},
		"mounts": []any{map[string]any{"host": nabDir(), "guest": "/data", "readonly": true}},
	})
	start := time.Now()
	h, err := d.Start(context.Background(), cfg)
	took := time.Since(start)
	require.NoError(b, err)
	requireSuccess(b, h, cfg)
	return took
}

// requireSuccess waits for h and fails unless it succeeded.
func requireSuccess(b *testing.B, h drivers.TaskHandle, cfg *drivers.TaskConfig) {
	res := waitTask(b, h)
	require.True(b, res.Successful(), "taxi ended with %+v: %s", res, readFile(b, cfg.StderrPath))
}
