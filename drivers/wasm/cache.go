package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/constellation-sched/constellation/drivers"
)

// maxModuleBytes bounds the size of a module read from disk or a URL.
const maxModuleBytes = 512 << 20

// ErrChecksum is returned by Start when a module's content does not match
// config.sha256.
var ErrChecksum = errors.New("wasm module checksum mismatch")

// CacheStats counts how the driver obtained compiled modules.
type CacheStats struct {
	// Compiles counts modules compiled from their wasm bytes.
	Compiles uint64
	// DiskHits counts modules deserialized from the on-disk cache.
	DiskHits uint64
	// MemoryHits counts starts that found the module already in memory.
	MemoryHits uint64
}

// moduleCache compiles each module once per content: it keeps compiled
// modules in memory, keyed by the sha256 of their wasm bytes, and
// serializes them into a directory so that a restarted agent deserializes
// instead of compiling.
type moduleCache struct {
	engine *wasmtime.Engine
	// dir holds serialized modules; empty for no disk cache.
	dir    string
	client *http.Client
	logger *slog.Logger

	mu sync.Mutex // guards entries
	// entries holds one entry per module sha256, ready or being built.
	// TODO: entries are never evicted; an agent that runs many distinct
	// modules keeps them all compiled in memory. Bound it with an LRU of
	// modules no running task uses.
	entries map[string]*cacheEntry

	compiles   atomic.Uint64
	diskHits   atomic.Uint64
	memoryHits atomic.Uint64
}

// cacheEntry is a module being built or built; ready is closed when mod or
// err is set.
type cacheEntry struct {
	ready chan struct{}
	mod   *wasmtime.Module
	err   error
}

// newModuleCache returns a cache compiling with engine and serializing under
// dir, which it creates.
func newModuleCache(engine *wasmtime.Engine, dir string,
	logger *slog.Logger) (*moduleCache, error) {
	if dir != "" {
		dir = filepath.Join(dir, "wasmtime-"+wasmtimeVersion())
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create module cache dir: %w", err)
		}
	}
	return &moduleCache{
		engine:  engine,
		dir:     dir,
		client:  &http.Client{},
		logger:  logger,
		entries: make(map[string]*cacheEntry),
	}, nil
}

// stats returns the cache's counters.
func (c *moduleCache) stats() CacheStats {
	return CacheStats{
		Compiles:   c.compiles.Load(),
		DiskHits:   c.diskHits.Load(),
		MemoryHits: c.memoryHits.Load(),
	}
}

// load returns the compiled module that tc names. A local file is always
// read and hashed (and checked against tc.SHA256 when given); a URL is
// downloaded only when the module is not cached under tc.SHA256.
func (c *moduleCache) load(ctx context.Context, tc *taskConfig) (*wasmtime.Module, error) {
	if tc.isURL() {
		return c.get(ctx, tc.SHA256, func() ([]byte, error) {
			return c.download(ctx, tc.Module, tc.SHA256)
		})
	}

	path, err := filepath.Abs(tc.Module)
	if err != nil {
		return nil, fmt.Errorf("resolve module path: %w", err)
	}
	wasm, err := readModuleFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256Hex(wasm)
	if tc.SHA256 != "" && tc.SHA256 != sum {
		return nil, fmt.Errorf("%w: %s has sha256 %s but config.sha256 is %s: "+
			"fix config.sha256 or the module file", ErrChecksum, path, sum, tc.SHA256)
	}
	return c.get(ctx, sum, func() ([]byte, error) { return wasm, nil })
}

// get returns the module whose wasm bytes hash to sum: from memory, from
// disk, or compiled from what fetch returns. Concurrent calls for one sum
// share one build.
func (c *moduleCache) get(ctx context.Context, sum string,
	fetch func() ([]byte, error)) (*wasmtime.Module, error) {
	c.mu.Lock()
	if e, ok := c.entries[sum]; ok {
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for module %s: %w", sum[:12], ctx.Err())
		}
		if e.err != nil {
			return nil, e.err
		}
		c.memoryHits.Add(1)
		return e.mod, nil
	}
	e := &cacheEntry{ready: make(chan struct{})}
	c.entries[sum] = e
	c.mu.Unlock()

	e.mod, e.err = c.build(sum, fetch)
	if e.err != nil {
		c.mu.Lock()
		delete(c.entries, sum)
		c.mu.Unlock()
	}
	close(e.ready)
	return e.mod, e.err
}

// build deserializes the module from disk, or fetches, compiles and
// serializes it.
func (c *moduleCache) build(sum string, fetch func() ([]byte, error)) (*wasmtime.Module, error) {
	if mod := c.fromDisk(sum); mod != nil {
		return mod, nil
	}

	wasm, err := fetch()
	if err != nil {
		return nil, err
	}
	mod, err := wasmtime.NewModule(c.engine, wasm)
	if err != nil {
		return nil, fmt.Errorf("compile wasm module %s: %w", sum[:12], err)
	}
	c.compiles.Add(1)
	c.logger.Debug("compiled wasm module", "sha256", sum, "bytes", len(wasm))

	if err := c.toDisk(sum, mod); err != nil {
		c.logger.Warn("cannot cache compiled wasm module", "sha256", sum, "error", err)
	}
	return mod, nil
}

// fromDisk deserializes the module cached under sum, or returns nil. A file
// that does not deserialize (written by another wasmtime build) is removed.
func (c *moduleCache) fromDisk(sum string) *wasmtime.Module {
	if c.dir == "" {
		return nil
	}
	path := c.path(sum)
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	mod, err := wasmtime.NewModuleDeserializeFile(c.engine, path)
	if err != nil {
		c.logger.Warn("discarding unreadable cached wasm module", "path", path, "error", err)
		_ = os.Remove(path)
		return nil
	}
	c.diskHits.Add(1)
	return mod
}

// toDisk serializes mod under sum, through a temporary file so that a
// reader never sees half a file.
func (c *moduleCache) toDisk(sum string, mod *wasmtime.Module) error {
	if c.dir == "" {
		return nil
	}
	data, err := mod.Serialize()
	if err != nil {
		return fmt.Errorf("serialize module: %w", err)
	}
	tmp, err := os.CreateTemp(c.dir, sum+".*.tmp")
	if err != nil {
		return fmt.Errorf("create cache file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write cache file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write cache file: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path(sum)); err != nil {
		return fmt.Errorf("install cache file: %w", err)
	}
	return nil
}

// path is where the module with sum is serialized.
func (c *moduleCache) path(sum string) string {
	return filepath.Join(c.dir, sum+".cwasm")
}

// download fetches a module and checks it against want.
func (c *moduleCache) download(ctx context.Context, url, want string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("download module: %w", err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download module: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download module %s: server answered %s: check config.module",
			url, resp.Status)
	}

	wasm, err := io.ReadAll(io.LimitReader(resp.Body, maxModuleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("download module %s: %w", url, err)
	}
	if len(wasm) > maxModuleBytes {
		return nil, fmt.Errorf("download module %s: larger than %d MiB", url, maxModuleBytes>>20)
	}
	if got := sha256Hex(wasm); got != want {
		return nil, fmt.Errorf("%w: %s has sha256 %s but config.sha256 is %s: "+
			"fix config.sha256 or the module at that URL", ErrChecksum, url, got, want)
	}
	return wasm, nil
}

// readModuleFile reads a module from a local path.
func readModuleFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read module: %v: check config.module "+
			"(a relative path is taken from the agent's working directory)", drivers.ErrBadConfig, err)
	}
	if info.IsDir() || info.Size() > maxModuleBytes {
		return nil, fmt.Errorf("read module: %s is a directory or larger than %d MiB: "+
			"point config.module at a .wasm file", path, maxModuleBytes>>20)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read module: %w", err)
	}
	return wasm, nil
}

// sha256Hex returns the lower-case hex sha256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
