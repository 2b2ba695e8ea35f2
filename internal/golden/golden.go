// Package golden compares a test's output with a reviewed file, and rewrites
// the file when the test binary runs with -update (then review the diff
// before committing it). Only tests import it; it registers the -update flag
// of the packages whose tests use it.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ (review them before committing)")

// Check compares got with the file at path, or writes got there under
// -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update in this package to create it, then review it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the output (-want +got); review and run go test -update if intended:\n%s",
			path, cmp.Diff(string(want), string(got)))
	}
}
