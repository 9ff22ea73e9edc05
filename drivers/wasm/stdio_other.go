//go:build !unix

package wasm

import (
	"errors"
)

// stdioPipe is not available off unix systems.
//
// TODO: named pipes carry module output into the task's log files only on
// unix systems; elsewhere a wasm task cannot start.
type stdioPipe struct {
	// Path is the named pipe to hand to wasmtime.
	Path string
}

// newStdioPipe returns an error: named pipes need a unix system.
func newStdioPipe(dir, name, dest string) (*stdioPipe, error) {
	return nil, errors.New("capturing wasm task output needs a unix system")
}

// start does nothing.
func (p *stdioPipe) start() {}

// wait does nothing.
func (p *stdioPipe) wait(started bool) {}
