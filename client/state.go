package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/constellation-sched/constellation/api"
)

// stateVersion is written into the state file; a file of another version
// is refused rather than misread.
const stateVersion = 1

// stateFile is the on-disk form of the client's state.
type stateFile struct {
	Version int
	// Allocs holds every allocation the client runs or ran, with its
	// client status and task states as the client last saw them.
	Allocs map[string]*api.Allocation
	// Procs holds the host process of every running exec or gpu task,
	// keyed by procKey, so that a restarted agent can kill what the
	// previous one left running.
	Procs map[string]*procRecord `json:",omitempty"`
}

// stateDB keeps the client's allocations in <DataDir>/client/state.json,
// rewritten atomically on every change so that a restarted agent knows
// what it ran.
type stateDB struct {
	path string

	// mu guards allocs, procs and the file.
	mu     sync.Mutex
	allocs map[string]*api.Allocation
	procs  map[string]*procRecord
}

// openStateDB reads the state file, or starts an empty one.
func openStateDB(dataDir string) (*stateDB, error) {
	dir := filepath.Join(dataDir, "client")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make client state dir: %w", err)
	}
	db := &stateDB{path: filepath.Join(dir, "state.json"), allocs: map[string]*api.Allocation{},
		procs: map[string]*procRecord{}}
	buf, err := os.ReadFile(db.path)
	if errors.Is(err, fs.ErrNotExist) {
		return db, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read client state: %w", err)
	}
	var sf stateFile
	if err := json.Unmarshal(buf, &sf); err != nil {
		return nil, fmt.Errorf("decode client state %s: %w; move the file away to start afresh", db.path, err)
	}
	if sf.Version != stateVersion {
		return nil, fmt.Errorf("client state %s has version %d, want %d", db.path, sf.Version, stateVersion)
	}
	if sf.Allocs != nil {
		db.allocs = sf.Allocs
	}
	if sf.Procs != nil {
		db.procs = sf.Procs
	}
	return db, nil
}

// Allocs returns the stored allocations.
func (db *stateDB) Allocs() []*api.Allocation {
	db.mu.Lock()
	defer db.mu.Unlock()
	out := make([]*api.Allocation, 0, len(db.allocs))
	for _, a := range db.allocs {
		out = append(out, a)
	}
	return out
}

// Put stores an allocation and writes the file.
func (db *stateDB) Put(alloc *api.Allocation) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.allocs[alloc.ID] = alloc
	return db.writeLocked()
}

// Delete forgets an allocation and writes the file.
func (db *stateDB) Delete(id string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	delete(db.allocs, id)
	return db.writeLocked()
}

// Procs returns a copy of the stored process records by key.
func (db *stateDB) Procs() map[string]*procRecord {
	db.mu.Lock()
	defer db.mu.Unlock()
	out := make(map[string]*procRecord, len(db.procs))
	for k, r := range db.procs {
		c := *r
		out[k] = &c
	}
	return out
}

// PutProc stores a task's process record and writes the file.
func (db *stateDB) PutProc(key string, rec *procRecord) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.procs[key] = rec
	return db.writeLocked()
}

// DeleteProc forgets a task's process record and writes the file.
func (db *stateDB) DeleteProc(key string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if _, ok := db.procs[key]; !ok {
		return nil
	}
	delete(db.procs, key)
	return db.writeLocked()
}

// TODO: the whole file is rewritten on every task event; a node running
// thousands of allocations would want one record per allocation.
func (db *stateDB) writeLocked() error {
	buf, err := json.Marshal(&stateFile{Version: stateVersion, Allocs: db.allocs, Procs: db.procs})
	if err != nil {
		return fmt.Errorf("encode client state: %w", err)
	}
	return writeFileAtomic(db.path, buf)
}

// writeFileAtomic writes through a temporary file and a rename, so that a
// crash leaves either the old or the new content.
func writeFileAtomic(path string, buf []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}

// loadNodeID returns the node's ID: want when set, else the one stored in
// the data dir, else a new one. The ID used is stored for the next start.
func loadNodeID(dataDir, want string) (string, error) {
	dir := filepath.Join(dataDir, "client")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("make client state dir: %w", err)
	}
	path := filepath.Join(dir, "node-id")
	if want == "" {
		buf, err := os.ReadFile(path)
		switch {
		case err == nil:
			want = strings.TrimSpace(string(buf))
		case !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("read node ID: %w", err)
		}
	}
	if want == "" {
		want = uuid.NewString()
	}
	if err := writeFileAtomic(path, []byte(want+"\n")); err != nil {
		return "", fmt.Errorf("store node ID: %w", err)
	}
	return want, nil
}
