// Package atomicfiletest holds the checks that tests of atomicfile and of
// its users (novaconf's nova.conf writes and backups) share: what a written
// file's metadata is, and that no temporary file was left behind. Only tests
// import it.
package atomicfiletest

import (
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
)

// Meta returns path's mode, owner and group, without following a symlink.
func Meta(t testing.TB, path string) (fs.FileMode, int, int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fi.Mode(), int(st.Uid), int(st.Gid)
}

// NoTemp fails t when a temporary file of atomicfile.Write (named
// .NAME.cpuflags-*.tmp) is left in dir.
func NoTemp(t testing.TB, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
