// Package refdata locates the shared reference data (../shared/ref beside the
// repository) for generators and tests. The product never reads it at run
// time: what the binaries need is generated into the repository.
package refdata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvVar names the environment variable that overrides the search.
const EnvVar = "CPUFLAGS_REF"

// ErrNotFound is returned when no reference directory can be found.
var ErrNotFound = errors.New("reference data not found")

// Find returns the reference directory: $CPUFLAGS_REF when set, otherwise the
// first "shared/ref" found beside start or one of its parents.
func Find(start string) (string, error) {
	if dir := os.Getenv(EnvVar); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvVar, dir, err)
		}
		return dir, nil
	}
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", start, err)
	}
	for {
		cand := filepath.Join(dir, "shared", "ref")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no shared/ref above %s; set %s to the reference directory", ErrNotFound, start, EnvVar)
		}
		dir = parent
	}
}

// TB is the subset of testing.TB used by MustFind.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// MustFind is Find for tests: it fails the test when the data is missing, so
// a missing checkout of shared/ never passes silently.
func MustFind(t TB) string {
	t.Helper()
	dir, err := Find(".")
	if err != nil {
		t.Fatalf("%v", err)
	}
	return dir
}

// Path joins elem onto the reference directory found by MustFind.
func Path(t TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{MustFind(t)}, elem...)...)
}
