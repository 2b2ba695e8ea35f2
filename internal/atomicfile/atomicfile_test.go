package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/atomicfile/atomicfiletest"
)

func TestReplaceKeepsMetadata(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	p := filepath.Join(t.TempDir(), "nova.conf")
	if err := os.WriteFile(p, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640|fs.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	saved := KeptXattrs
	KeptXattrs = []string{"user.cpuflags-test"}
	defer func() { KeptXattrs = saved }()
	xattr := syscall.Setxattr(p, "user.cpuflags-test", []byte("label"), 0) == nil

	warn, err := Replace(p, []byte("new\n"), 0o644)
	if err != nil || len(warn) > 0 {
		t.Fatalf("Replace: %v %v", err, warn)
	}
	if got, _ := os.ReadFile(p); string(got) != "new\n" {
		t.Errorf("content %q", got)
	}
	if mode, uid, gid := atomicfiletest.Meta(t, p); mode != 0o640|fs.ModeSetgid || uid != 4242 || gid != 4343 {
		t.Errorf("metadata %v %d:%d, want the original's (set-gid survives the chown)", mode, uid, gid)
	}
	if xattr {
		buf := make([]byte, 64)
		if n, err := syscall.Getxattr(p, "user.cpuflags-test", buf); err != nil || string(buf[:n]) != "label" {
			t.Errorf("xattr not kept: %q %v", buf[:n], err)
		}
	} else {
		t.Log("this file system has no user xattrs: not checked")
	}
	atomicfiletest.NoTemp(t, filepath.Dir(p))
}

func TestReplaceNewFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "report.json")
	if _, err := Replace(p, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if mode, uid, _ := atomicfiletest.Meta(t, p); mode != 0o644 || uid != os.Geteuid() {
		t.Errorf("new file %v owned by %d, want 0644 owned by the writer", mode, uid)
	}
}

func TestWriteRenameFailureLeavesOriginal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nova.conf")
	if err := os.WriteFile(p, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	rename = func(string, string) error { return errors.New("simulated crash before rename") }
	defer func() { rename = os.Rename }()
	if _, err := Replace(p, []byte("new\n"), 0o644); err == nil || !strings.Contains(err.Error(), "simulated crash") {
		t.Fatalf("err = %v, want the rename's", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old\n" {
		t.Errorf("content %q after a failed write, want the old", got)
	}
	atomicfiletest.NoTemp(t, filepath.Dir(p))
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "nova.conf.bak")
	if _, err := Create(p, []byte("first\n"), NewMeta(0o600)); err != nil {
		t.Fatal(err)
	}
	_, err := Create(p, []byte("second\n"), NewMeta(0o600))
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Create: err = %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "first\n" {
		t.Errorf("content %q, want the first (never replaced)", got)
	}
	if mode, _, _ := atomicfiletest.Meta(t, p); mode != 0o600 {
		t.Errorf("mode %v, want 0600", mode)
	}
	atomicfiletest.NoTemp(t, dir)
}

func TestWriteReplacesSymlinkItself(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target"), filepath.Join(dir, "link")
	if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(link, []byte("new\n"), NewMeta(0o644)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "old\n" {
		t.Errorf("target %q: Write followed the symlink", got)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink != 0 {
		t.Error("the symlink is still there")
	}
}
