// Package atomicfile writes files so that a crash at any point leaves either
// the old or the new content under the name, never a mix, and the new file
// keeps the old one's owner, group, mode and security attributes. It is the
// one place nova.conf, its backups, the probe's journal and the baseline's
// artifacts are written.
//
// Every write makes a temporary file in the target's directory (a rename
// is atomic only within one file system), writes the content, gives it the
// metadata (owner first: chown clears set-id bits), fsyncs it, moves it into
// place and fsyncs the directory, so the new name survives a power loss.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Meta is the metadata a written file gets.
type Meta struct {
	// Mode holds the permission, set-id and sticky bits.
	Mode fs.FileMode
	// UID and GID own the file; -1 leaves the writing process's.
	UID, GID int
	// Xattrs are extended attributes to set (see KeptXattrs).
	Xattrs map[string][]byte
}

// KeptXattrs are the extended attributes MetaOf reads, so that a rewritten
// file keeps its SELinux label and POSIX ACL; others are not carried over.
var KeptXattrs = []string{"security.selinux", "system.posix_acl_access"}

// NewMeta is the metadata of a new file: perm, owned by the writing process.
func NewMeta(perm fs.FileMode) Meta { return Meta{Mode: perm, UID: -1, GID: -1} }

// MetaOf returns the metadata of the file at path (through symlinks).
func MetaOf(path string) (Meta, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Meta{}, err
	}
	uid, gid, err := owner(fi)
	if err != nil {
		return Meta{}, err
	}
	return Meta{
		Mode: fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky),
		UID:  uid, GID: gid, Xattrs: readXattrs(path),
	}, nil
}

// rename moves the written temporary file into place; tests replace it to
// simulate a crash before the rename.
var rename = os.Rename

// Write replaces path with data and meta. On error path is untouched and no
// temporary file is left. A symlink at path is replaced, not followed:
// resolve it first to write through it. The warnings name metadata that could not be set
// (an SELinux label on a file system without extended attributes); they
// never concern the content.
func Write(path string, data []byte, meta Meta) ([]string, error) {
	tmp, warn, err := stage(path, data, meta)
	if err != nil {
		return warn, err
	}
	if err := rename(tmp, path); err != nil {
		os.Remove(tmp)
		return warn, fmt.Errorf("rename temporary file into place: %w", err)
	}
	return warn, syncDir(filepath.Dir(path))
}

// Replace is Write keeping the metadata of the file at path, or with perm
// when there is no file yet.
func Replace(path string, data []byte, perm fs.FileMode) ([]string, error) {
	meta, err := MetaOf(path)
	if errors.Is(err, fs.ErrNotExist) {
		meta, err = NewMeta(perm), nil
	}
	if err != nil {
		return nil, err
	}
	return Write(path, data, meta)
}

// Create is Write for a name that must not exist yet (a backup): it fails
// with an error wrapping fs.ErrExist instead of replacing a file. The name
// appears only once the content is complete.
func Create(path string, data []byte, meta Meta) ([]string, error) {
	tmp, warn, err := stage(path, data, meta)
	if err != nil {
		return warn, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return warn, err
		}
		// A file system without hard links: an exclusive create, filled in place.
		return create(path, data, meta)
	}
	return warn, syncDir(filepath.Dir(path))
}

// create writes path with O_EXCL (no temporary file).
func create(path string, data []byte, meta Meta) ([]string, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	warn, err := fill(f, data, meta)
	if err != nil {
		os.Remove(path)
		return warn, err
	}
	return warn, syncDir(filepath.Dir(path))
}

// stage writes data and meta into a new temporary file beside path.
func stage(path string, data []byte, meta Meta) (string, []string, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".cpuflags-*.tmp")
	if err != nil {
		return "", nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	warn, err := fill(f, data, meta)
	if err != nil {
		os.Remove(f.Name())
		return "", warn, err
	}
	return f.Name(), warn, nil
}

// fill writes data, sets owner then mode, sets the xattrs, fsyncs and
// closes f.
func fill(f *os.File, data []byte, meta Meta) ([]string, error) {
	var warn []string
	fail := func(what string, err error) ([]string, error) {
		f.Close()
		return warn, fmt.Errorf("%s %s: %w", what, f.Name(), err)
	}
	if _, err := f.Write(data); err != nil {
		return fail("write", err)
	}
	if meta.UID != -1 || meta.GID != -1 {
		if err := f.Chown(meta.UID, meta.GID); err != nil {
			return fail("chown", err)
		}
	}
	if err := f.Chmod(meta.Mode); err != nil {
		return fail("chmod", err)
	}
	for name, val := range meta.Xattrs {
		if err := setXattr(f.Name(), name, val); err != nil {
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

// SyncDir fsyncs directory dir, so that a created, renamed or removed name
// in it survives a crash.
func SyncDir(dir string) error { return syncDir(dir) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
