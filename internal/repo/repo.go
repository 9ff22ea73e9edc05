// Package repo finds the repository's root, and the shared data that lives
// beside it, for tests, benchmarks and evaluation programs run from any
// folder of the module.
package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoRoot is returned by Root when no folder above the working directory
// holds a go.mod.
var ErrNoRoot = errors.New("no go.mod above the working directory")

// Root walks up from the working directory to the folder holding go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoRoot
		}
		dir = parent
	}
}

// SharedData returns the path of parts under ../shared/data relative to the
// repository root, where the project's real data sets live.
func SharedData(parts ...string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{root, "..", "shared", "data"}, parts...)...), nil
}
