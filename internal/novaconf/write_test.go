package novaconf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvm-migration/cpuflags/internal/atomicfile"
	"github.com/kvm-migration/cpuflags/internal/atomicfile/atomicfiletest"
)

// setup writes a nova.conf owned by uid/gid 4242:4343 with mode 0640.
func setup(t *testing.T) (string, []byte) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "nova.conf")
	data := readIn(t, "kolla.conf")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func edited(t *testing.T, data []byte) []byte {
	t.Helper()
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := f.SetCPU(wantCustom)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteAtomicKeepsOwnerAndMode(t *testing.T) {
	p, data := setup(t)
	now = func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	defer func() { now = time.Now }()
	out := edited(t, data)
	res, err := WriteAtomic(p, out, true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.BackupPath != p+".20250102T030405Z.cpuflags.bak" {
		t.Fatalf("result %+v", res)
	}
	for _, f := range []string{p, res.BackupPath} {
		mode, uid, gid := atomicfiletest.Meta(t, f)
		if mode != 0o640 || uid != 4242 || gid != 4343 {
			t.Errorf("%s: mode %v uid %d gid %d, want 0640 4242 4343", f, mode, uid, gid)
		}
	}
	if got, _ := os.ReadFile(p); string(got) != string(out) {
		t.Error("new content not written")
	}
	if got, _ := os.ReadFile(res.BackupPath); string(got) != string(data) {
		t.Error("backup does not hold the old content")
	}
	// second write of the same content: no-op, no new backup
	res2, err := WriteAtomic(p, out, true)
	if err != nil || res2.Changed || res2.BackupPath != "" {
		t.Errorf("second write: %+v %v", res2, err)
	}
	// a second change in the same second gets a distinct backup name
	res3, err := WriteAtomic(p, data, true)
	if err != nil || res3.BackupPath == res.BackupPath || !strings.HasSuffix(res3.BackupPath, BackupSuffix) {
		t.Errorf("third write: %+v %v", res3, err)
	}
	// no temporary files left behind
	atomicfiletest.NoTemp(t, filepath.Dir(p))
}

func TestWriteAtomicSymlink(t *testing.T) {
	p, data := setup(t)
	link := filepath.Join(filepath.Dir(p), "link.conf")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteAtomic(link, edited(t, data), false); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("symlink replaced by a file: %v %v", fi, err)
	}
	if mode, uid, _ := atomicfiletest.Meta(t, p); mode != 0o640 || uid != 4242 {
		t.Errorf("target lost owner/mode: %v %d", mode, uid)
	}
}

func TestWriteAtomicRenameFailureLeavesOriginal(t *testing.T) {
	p, data := setup(t)
	replaceFile = func(string, []byte, atomicfile.Meta) ([]string, error) {
		return nil, errors.New("simulated crash before rename")
	}
	defer func() { replaceFile = atomicfile.Write }()
	res, err := WriteAtomic(p, edited(t, data), true)
	if err == nil || !strings.Contains(err.Error(), "not changed") {
		t.Fatalf("err = %v, want a rename error", err)
	}
	if got, _ := os.ReadFile(p); string(got) != string(data) {
		t.Error("original content changed")
	}
	if mode, uid, gid := atomicfiletest.Meta(t, p); mode != 0o640 || uid != 4242 || gid != 4343 {
		t.Errorf("original metadata changed: %v %d %d", mode, uid, gid)
	}
	if got, err := os.ReadFile(res.BackupPath); err != nil || string(got) != string(data) {
		t.Errorf("backup missing or wrong after failure: %v", err)
	}
	atomicfiletest.NoTemp(t, filepath.Dir(p))
}

func TestWriteAtomicMissing(t *testing.T) {
	_, err := WriteAtomic(filepath.Join(t.TempDir(), "nope.conf"), []byte("x"), true)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
}

func TestRestore(t *testing.T) {
	p, data := setup(t)
	res, err := WriteAtomic(p, edited(t, data), true)
	if err != nil {
		t.Fatal(err)
	}
	// someone changes the mode meanwhile; restore brings back the backup's
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Restore(p, res.BackupPath); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != string(data) {
		t.Error("content not restored")
	}
	if mode, uid, gid := atomicfiletest.Meta(t, p); mode != 0o640 || uid != 4242 || gid != 4343 {
		t.Errorf("restored metadata: %v %d %d", mode, uid, gid)
	}
	if err := Restore(p, p+".missing.bak"); err == nil {
		t.Error("restore from a missing backup must fail")
	}
}

// TestRestoreKeepsTheFilesOwnerAndMode: a copy made by someone else (root,
// 0600, not one of our .cpuflags.bak backups) must not change who can read
// nova.conf.
func TestRestoreKeepsTheFilesOwnerAndMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "nova.conf")
	backup := filepath.Join(dir, "copy")
	if err := os.WriteFile(conf, []byte("[libvirt]\ncpu_mode = custom\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(conf, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(backup, []byte("[libvirt]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Restore(conf, backup); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(conf)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 4242 || st.Gid != 4343 || fi.Mode().Perm() != 0o640 {
		t.Errorf("after Restore: uid %d gid %d mode %o; want the file's own 4242 4343 640", st.Uid, st.Gid, fi.Mode().Perm())
	}
	if data, _ := os.ReadFile(conf); string(data) != "[libvirt]\n" {
		t.Errorf("content %q, want the backup's", data)
	}
}

func TestBackupKeepsContentOwnerAndMode(t *testing.T) {
	p, data := setup(t)
	name, _, err := Backup(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, BackupSuffix) {
		t.Errorf("backup %s does not end in %s", name, BackupSuffix)
	}
	if got, _ := os.ReadFile(name); string(got) != string(data) {
		t.Error("backup content differs from the file")
	}
	if mode, uid, gid := atomicfiletest.Meta(t, name); mode != 0o640 || uid != 4242 || gid != 4343 {
		t.Errorf("backup metadata: %v %d %d, want the file's 640 4242 4343", mode, uid, gid)
	}
	if _, _, err := Backup(filepath.Join(t.TempDir(), "missing.conf")); err == nil {
		t.Error("a missing file was backed up")
	}
}
