package artifacts

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWriteIdempotentAndCheckMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	files := []File{{"a.list", Lines([]string{"avx", "sse4.1"})}, {"empty.list", Lines(nil)}}

	got, err := Write(dir, files, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"a.list", "empty.list"}) {
		t.Errorf("dry run reports %v, want both files", got)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("dry run created %s", dir)
	}

	if got, err = Write(dir, files, false); err != nil || len(got) != 2 {
		t.Fatalf("first write: %v %v", got, err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "a.list"))
	if string(data) != "avx\nsse4.1\n" {
		t.Errorf("a.list = %q: one flag per line, no leading space, final newline", data)
	}
	if got, err = Write(dir, files, false); err != nil || len(got) != 0 {
		t.Errorf("second write changed %v (%v); must change nothing", got, err)
	}
	files[0].Content = Lines([]string{"avx"})
	if got, _ = Write(dir, files, false); !slices.Equal(got, []string{"a.list"}) {
		t.Errorf("changed content reported as %v", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("leftover temporary files: %v", entries)
	}
}

func TestWriteRejectsPathNames(t *testing.T) {
	for _, name := range []string{"", "../x", "a/b", ".."} {
		if _, err := Write(t.TempDir(), []File{{name, nil}}, false); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

// TestWriteKeepsMode: a rewritten artifact keeps the mode an operator gave
// it; a new one is 0644.
func TestWriteKeepsMode(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := []File{{Name: "report.json", Content: []byte("new\n")}, {Name: "report.md", Content: []byte("# new\n")}}
	if _, err := Write(dir, files, false); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"report.json": 0o600, "report.md": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", name, fi.Mode().Perm(), err, want)
		}
	}
}
