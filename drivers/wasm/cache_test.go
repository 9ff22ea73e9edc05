package wasm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDriver_CachesCompiledModules(t *testing.T) {
	cacheDir := t.TempDir()
	wasm, err := os.ReadFile(modules["hello"])
	require.NoError(t, err)
	cached := filepath.Join(cacheDir, "wasmtime-"+wasmtimeVersion(), sha256Hex(wasm)+".cwasm")
	hello := map[string]any{"module": modules["hello"]}

	// The first start compiles and writes the cache file.
	d1 := newTestDriver(t, cacheDir)
	require.True(t, runTask(t, d1, newTaskConfig(t, hello)).Successful())
	assert.Equal(t, CacheStats{Compiles: 1}, d1.CacheStats())
	assert.FileExists(t, cached)

	// A second task of the same module finds it in memory.
	require.True(t, runTask(t, d1, newTaskConfig(t, hello)).Successful())
	assert.Equal(t, CacheStats{Compiles: 1, MemoryHits: 1}, d1.CacheStats())

	// A restarted driver deserializes it from disk.
	d2 := newTestDriver(t, cacheDir)
	cfg := newTaskConfig(t, hello)
	require.True(t, runTask(t, d2, cfg).Successful())
	assert.Equal(t, CacheStats{DiskHits: 1}, d2.CacheStats())
	assert.Contains(t, readFile(t, cfg.StdoutPath), "hello from hello.wasm")
}

func TestDriver_ReplacesUnreadableCacheFile(t *testing.T) {
	cacheDir := t.TempDir()
	wasm, err := os.ReadFile(modules["hello"])
	require.NoError(t, err)
	dir := filepath.Join(cacheDir, "wasmtime-"+wasmtimeVersion())
	require.NoError(t, os.MkdirAll(dir, 0o700))
	cached := filepath.Join(dir, sha256Hex(wasm)+".cwasm")
	require.NoError(t, os.WriteFile(cached, []byte("not a compiled module"), 0o600))

	d := newTestDriver(t, cacheDir)
	require.True(t, runTask(t, d, newTaskConfig(t, map[string]any{"module": modules["hello"]})).Successful())
	assert.Equal(t, CacheStats{Compiles: 1}, d.CacheStats())
	info, err := os.Stat(cached)
	require.NoError(t, err)
	assert.Greater(t, info.Size(), int64(1000))
}

func TestDriver_LoadsModuleFromURL(t *testing.T) {
	wasm, err := os.ReadFile(modules["hello"])
	require.NoError(t, err)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/hello.wasm" {
			http.NotFound(w, r)
			return
		}
		w.Write(wasm)
	}))
	defer srv.Close()
	sum := sha256Hex(wasm)
	wrong := strings.Repeat("0", 64)

	tests := []struct {
		name    string
		url     string
		sha     string
		wantErr error
		wantMsg string
	}{
		{name: "wrong sha256", url: "/hello.wasm", sha: wrong, wantErr: ErrChecksum,
			wantMsg: "has sha256 " + sum + " but config.sha256 is " + wrong},
		{name: "not found", url: "/missing.wasm", sha: sum, wantMsg: "404 Not Found"},
		{name: "right sha256", url: "/hello.wasm", sha: sum},
	}
	d := newTestDriver(t, t.TempDir())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newTaskConfig(t, map[string]any{"module": srv.URL + tt.url, "sha256": tt.sha})
			h, err := d.Start(context.Background(), cfg)
			if tt.wantMsg != "" {
				require.Error(t, err)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				}
				assert.Contains(t, err.Error(), tt.wantMsg)
				return
			}
			require.NoError(t, err)
			require.True(t, waitTask(t, h).Successful())
			assert.Contains(t, readFile(t, cfg.StdoutPath), "arg[0]=hello.wasm")
		})
	}

	// Once compiled, a module named by URL and sha256 is not downloaded
	// again.
	before := requests.Load()
	cfg := newTaskConfig(t, map[string]any{"module": srv.URL + "/hello.wasm", "sha256": sum})
	require.True(t, runTask(t, d, cfg).Successful())
	assert.Equal(t, before, requests.Load())
}
