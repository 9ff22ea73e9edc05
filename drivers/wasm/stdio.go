//go:build unix

package wasm

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// stdioPipe carries one of a module's output streams into a log file
// opened for append. wasmtime's WASI opens an output path for writing and
// truncates it, which would erase the output of earlier runs of the task;
// so the module writes into a named pipe instead, and a goroutine appends
// what comes out of it to the log file.
type stdioPipe struct {
	// Path is the named pipe to hand to wasmtime.
	Path string

	reader *os.File
	dest   *os.File
	done   chan struct{}
}

// newStdioPipe creates a named pipe in dir whose output is appended to
// dest. Call start once wasmtime has opened Path for writing.
func newStdioPipe(dir, name, dest string) (*stdioPipe, error) {
	p := &stdioPipe{Path: filepath.Join(dir, name), done: make(chan struct{})}
	if err := syscall.Mkfifo(p.Path, 0o600); err != nil {
		return nil, fmt.Errorf("create %s pipe: %w", name, err)
	}

	// Open the reading end first and without blocking, so that wasmtime's
	// open of the writing end does not wait for a reader.
	r, err := os.OpenFile(p.Path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s pipe: %w", name, err)
	}
	d, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("open %s log %s: %w", name, dest, err)
	}
	p.reader, p.dest = r, d
	return p, nil
}

// start copies the pipe into the log until every writer has closed it.
// Until a writer has opened the pipe, a read would see end of file: call
// start only after wasmtime opened Path.
func (p *stdioPipe) start() {
	go func() {
		defer close(p.done)
		_, _ = io.Copy(p.dest, p.reader)
	}()
}

// wait blocks until the copy ends, then closes the files. Call it after
// the store that wrote into the pipe is closed; or without start, to
// release the pipe.
func (p *stdioPipe) wait(started bool) {
	if started {
		<-p.done
	}
	p.reader.Close()
	p.dest.Close()
}
