// Package artifacts writes the baseline's files into a directory: the manual
// procedure's flag lists (correctly computed) and the reports. Each file is
// written atomically and only when its content changes, so a second run
// changes nothing; in check mode nothing is written but the would-be changes
// are reported. A rewritten file keeps its owner and mode (new files get
// 0644).
package artifacts

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/atomicfile"
)

// File is one artifact: a name inside the directory and its content.
type File struct {
	Name    string
	Content []byte
}

// Lines renders sorted flag names one per line, as the brief's files are
// (no leading spaces, a final newline; an empty list is an empty file).
func Lines(flags []string) []byte {
	if len(flags) == 0 {
		return []byte{}
	}
	return []byte(strings.Join(flags, "\n") + "\n")
}

// Write puts files into dir (created with mode 0755 when missing) and returns
// the names of the files whose content changed (or would change, when
// dryRun is true), sorted.
func Write(dir string, files []File, dryRun bool) ([]string, error) {
	if dir == "" {
		return nil, fmt.Errorf("no output directory given")
	}
	if !dryRun {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create output directory: %w", err)
		}
	}
	var changed []string
	for _, f := range files {
		if f.Name == "" || strings.ContainsRune(f.Name, os.PathSeparator) || f.Name == "." || f.Name == ".." {
			return nil, fmt.Errorf("artifact name %q is not a plain file name", f.Name)
		}
		path := filepath.Join(dir, f.Name)
		old, err := os.ReadFile(path)
		if err == nil && bytes.Equal(old, f.Content) {
			continue
		}
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		changed = append(changed, f.Name)
		if dryRun {
			continue
		}
		if _, err := atomicfile.Replace(path, f.Content, 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	sort.Strings(changed)
	return changed, nil
}
