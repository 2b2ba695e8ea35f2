package novaconf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Test hooks: tests replace them to simulate failures (a crash between the
// backup and the rename) and a fixed clock.
var (
	renameFile = os.Rename
	now        = time.Now
)

// BackupSuffix ends every backup file name: <path>.<timestamp>.cpuflags.bak.
// It does not end in ".conf", so oslo.config's --config-dir never reads it.
const BackupSuffix = ".cpuflags.bak"

// WriteResult reports what WriteAtomic did.
type WriteResult struct {
	Changed    bool   // the file content was replaced
	BackupPath string // backup of the previous content ("" when none was made)
	// Warnings lists metadata that could not be carried over (for example
	// an SELinux label on a file system without xattrs). Never file content.
	Warnings []string
}

// fileMeta is the metadata kept across a rewrite.
type fileMeta struct {
	mode     fs.FileMode
	uid, gid int
}

func statMeta(fi fs.FileInfo) (fileMeta, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileMeta{}, errors.New("file owner is not available on this platform")
	}
	return fileMeta{mode: fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky), uid: int(st.Uid), gid: int(st.Gid)}, nil
}

// xattrs copied best-effort with the content (SELinux label, POSIX ACLs).
var keptXattrs = []string{"security.selinux", "system.posix_acl_access"}

// WriteAtomic replaces the file at path with data. It resolves symlinks and
// writes to the target, so a symlinked nova.conf stays a symlink. It writes
// a temporary file in the same directory, fsyncs it, gives it the original's
// mode, owner and group, and renames it over the original, then fsyncs the
// directory. With backup, it first copies the original to
// <path>.<timestamp>.cpuflags.bak with the same mode and owner (fsynced), so
// a crash at any point leaves either the old or the new content at path.
// Equal content is a no-op: no backup, no write.
func WriteAtomic(path string, data []byte, backup bool) (WriteResult, error) {
	var res WriteResult
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return res, fmt.Errorf("write %s: %w (the file must exist; create it first)", path, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return res, fmt.Errorf("write %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return res, fmt.Errorf("write %s: not a regular file", path)
	}
	old, err := os.ReadFile(real)
	if err != nil {
		return res, fmt.Errorf("write %s: read current content: %w", path, err)
	}
	if bytes.Equal(old, data) {
		return res, nil
	}
	meta, err := statMeta(fi)
	if err != nil {
		return res, fmt.Errorf("write %s: %w", path, err)
	}
	xattrs := readXattrs(real)
	if backup {
		bp, warn, err := writeBackup(real, old, meta, xattrs)
		if err != nil {
			return res, fmt.Errorf("write %s: backup: %w; the file was not changed", path, err)
		}
		res.BackupPath = bp
		res.Warnings = append(res.Warnings, warn...)
	}
	warn, err := replaceFile(real, data, meta, xattrs)
	res.Warnings = append(res.Warnings, warn...)
	if err != nil {
		return res, fmt.Errorf("write %s: %w; the file was not changed", path, err)
	}
	res.Changed = true
	return res, nil
}

// Restore atomically puts the content of backupPath back at path, with the
// backup's mode, owner and group (which are the original file's).
func Restore(path, backupPath string) error {
	fi, err := os.Stat(backupPath)
	if err != nil {
		return fmt.Errorf("restore %s from %s: %w", path, backupPath, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("restore %s from %s: backup is not a regular file", path, backupPath)
	}
	data, err := os.ReadFile(backupPath)
	if err != nil {
		return fmt.Errorf("restore %s from %s: %w", path, backupPath, err)
	}
	real := path
	if r, err := filepath.EvalSymlinks(path); err == nil {
		real = r
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore %s: %w", path, err)
	}
	// Our own backups (BackupSuffix) carry the original's owner, group and
	// mode, so restoring them restores those too. A copy someone else made
	// (cp as root, a configuration tool) gives back only its content: the
	// file keeps its own owner, group and mode, so nova-compute can still
	// read it.
	metaFrom, xattrFrom := fi, backupPath
	if cur, err := os.Stat(real); err == nil && !strings.HasSuffix(backupPath, BackupSuffix) {
		metaFrom, xattrFrom = cur, real
	}
	meta, err := statMeta(metaFrom)
	if err != nil {
		return fmt.Errorf("restore %s from %s: %w", path, backupPath, err)
	}
	if _, err := replaceFile(real, data, meta, readXattrs(xattrFrom)); err != nil {
		return fmt.Errorf("restore %s from %s: %w", path, backupPath, err)
	}
	return nil
}

func writeBackup(real string, old []byte, meta fileMeta, xattrs map[string][]byte) (string, []string, error) {
	stamp := now().UTC().Format("20060102T150405Z")
	var f *os.File
	var name string
	for n := 0; ; n++ {
		name = fmt.Sprintf("%s.%s%s", real, stamp, BackupSuffix)
		if n > 0 {
			name = fmt.Sprintf("%s.%s-%d%s", real, stamp, n, BackupSuffix)
		}
		var err error
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || n >= 100 {
			return "", nil, err
		}
	}
	warn, err := fillFile(f, old, meta, xattrs)
	if err != nil {
		os.Remove(name)
		return "", nil, err
	}
	if err := syncDir(filepath.Dir(real)); err != nil {
		return name, warn, err
	}
	return name, warn, nil
}

// Backup copies path (through symlinks) to <path>.<timestamp>.cpuflags.bak
// with the same owner, group, mode and kept extended attributes, fsynced,
// and returns the backup's name. WriteAtomic makes the same backup together
// with an edit; Backup is for callers that must hold a backup before their
// first edit (the probe's journal).
func Backup(path string) (string, []string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", nil, fmt.Errorf("backup %s: %w", path, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", nil, fmt.Errorf("backup %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("backup %s: not a regular file", path)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return "", nil, fmt.Errorf("backup %s: %w", path, err)
	}
	meta, err := statMeta(fi)
	if err != nil {
		return "", nil, fmt.Errorf("backup %s: %w", path, err)
	}
	name, warn, err := writeBackup(real, data, meta, readXattrs(real))
	if err != nil {
		return "", warn, fmt.Errorf("backup %s: %w", path, err)
	}
	return name, warn, nil
}

// replaceFile writes data to a temporary file beside real and renames it
// over real. On error the temporary file is removed and real is untouched.
func replaceFile(real string, data []byte, meta fileMeta, xattrs map[string][]byte) ([]string, error) {
	dir := filepath.Dir(real)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(real)+".cpuflags-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	tmpName := tmp.Name()
	warn, err := fillFile(tmp, data, meta, xattrs)
	if err != nil {
		os.Remove(tmpName)
		return warn, err
	}
	if err := renameFile(tmpName, real); err != nil {
		os.Remove(tmpName)
		return warn, fmt.Errorf("rename temporary file into place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return warn, fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return warn, nil
}

// fillFile writes data, sets owner then mode (chown clears set-id bits),
// copies xattrs, fsyncs and closes f.
func fillFile(f *os.File, data []byte, meta fileMeta, xattrs map[string][]byte) ([]string, error) {
	var warn []string
	fail := func(what string, err error) ([]string, error) {
		f.Close()
		return warn, fmt.Errorf("%s %s: %w", what, f.Name(), err)
	}
	if _, err := f.Write(data); err != nil {
		return fail("write", err)
	}
	if err := f.Chown(meta.uid, meta.gid); err != nil {
		return fail("chown", err)
	}
	if err := f.Chmod(meta.mode); err != nil {
		return fail("chmod", err)
	}
	for name, val := range xattrs {
		if err := syscall.Setxattr(f.Name(), name, val, 0); err != nil {
			warn = append(warn, fmt.Sprintf("could not copy extended attribute %s to %s: %v", name, f.Name(), err))
		}
	}
	if err := f.Sync(); err != nil {
		return fail("fsync", err)
	}
	if err := f.Close(); err != nil {
		return warn, fmt.Errorf("close %s: %w", f.Name(), err)
	}
	return warn, nil
}

func readXattrs(path string) map[string][]byte {
	out := map[string][]byte{}
	for _, name := range keptXattrs {
		buf := make([]byte, 4096)
		n, err := syscall.Getxattr(path, name, buf)
		if err == nil && n > 0 {
			out[name] = buf[:n]
		}
	}
	return out
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
