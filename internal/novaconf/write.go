package novaconf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/atomicfile"
)

// Test hooks: tests replace them to simulate failures (a crash between the
// backup and the rename) and a fixed clock.
var (
	replaceFile = atomicfile.Write
	now         = time.Now
)

// Where nova-compute reads its configuration by default (distribution
// packages: nova.conf, then nova-compute.conf).
const (
	DefaultPath            = "/etc/nova/nova.conf"
	DefaultExtraConfigFile = "/etc/nova/nova-compute.conf"
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
	meta, err := atomicfile.MetaOf(real)
	if err != nil {
		return res, fmt.Errorf("write %s: %w", path, err)
	}
	if backup {
		bp, warn, err := writeBackup(real, old, meta)
		if err != nil {
			return res, fmt.Errorf("write %s: backup: %w; the file was not changed", path, err)
		}
		res.BackupPath = bp
		res.Warnings = append(res.Warnings, warn...)
	}
	warn, err := replaceFile(real, data, meta)
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
	metaFrom := backupPath
	if _, err := os.Stat(real); err == nil && !strings.HasSuffix(backupPath, BackupSuffix) {
		metaFrom = real
	}
	meta, err := atomicfile.MetaOf(metaFrom)
	if err != nil {
		return fmt.Errorf("restore %s from %s: %w", path, backupPath, err)
	}
	if _, err := replaceFile(real, data, meta); err != nil {
		return fmt.Errorf("restore %s from %s: %w", path, backupPath, err)
	}
	return nil
}

// writeBackup writes old to <real>.<timestamp>[-n].cpuflags.bak, a name
// not taken yet, with meta.
func writeBackup(real string, old []byte, meta atomicfile.Meta) (string, []string, error) {
	stamp := now().UTC().Format("20060102T150405Z")
	for n := 0; ; n++ {
		name := fmt.Sprintf("%s.%s%s", real, stamp, BackupSuffix)
		if n > 0 {
			name = fmt.Sprintf("%s.%s-%d%s", real, stamp, n, BackupSuffix)
		}
		warn, err := atomicfile.Create(name, old, meta)
		if err == nil {
			return name, warn, nil
		}
		if !errors.Is(err, fs.ErrExist) || n >= 100 {
			return "", warn, err
		}
	}
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
	meta, err := atomicfile.MetaOf(real)
	if err != nil {
		return "", nil, fmt.Errorf("backup %s: %w", path, err)
	}
	name, warn, err := writeBackup(real, data, meta)
	if err != nil {
		return "", warn, fmt.Errorf("backup %s: %w", path, err)
	}
	return name, warn, nil
}
