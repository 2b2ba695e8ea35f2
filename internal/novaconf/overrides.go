package novaconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Override is a managed [libvirt] key set by a file that oslo.config reads
// after the edited one, so its value wins over the edited value.
type Override struct {
	File    string
	Section string // section name as written (e.g. "libvirt", "LIBVIRT")
	Key     string // key as written: cpu_mode, cpu_models, cpu_model or cpu_model_extra_flags
	Line    int    // 1-based line of the key
	Value   string // the value set there (a managed key, so safe to show)
}

// String describes the override without any non-managed content.
func (o Override) String() string {
	return fmt.Sprintf("%s:%d: [%s] %s = %s overrides the edited value", o.File, o.Line, o.Section, o.Key, o.Value)
}

// ReadOrder expands the files and directories a service reads into the order
// oslo.config reads them: files as given; a directory (--config-dir) becomes
// its "*.conf" entries (no hidden files, like Python's glob) sorted by name.
// Paths that do not exist are skipped.
func ReadOrder(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("read order: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return out, fmt.Errorf("read order: list %s: %w", p, err)
		}
		var names []string
		for _, e := range ents {
			n := e.Name()
			if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".conf") {
				continue
			}
			names = append(names, filepath.Join(p, n))
		}
		sort.Strings(names)
		out = append(out, names...)
	}
	return out, nil
}

// FindOverrides reports the managed [libvirt] keys set in files that the
// service reads after mainPath. others lists the files and directories
// passed to the service (--config-file, --config-dir) in command-line order;
// it may include mainPath itself (then only files after it count) or not
// (then all of them are read after it). Missing paths are skipped. A file
// that does not parse is reported as an error (naming the file and line,
// never its content) after the overrides of the other files are collected.
func FindOverrides(mainPath string, others []string) ([]Override, error) {
	order, err := ReadOrder(others)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	mainFI, mainErr := os.Stat(mainPath)
	start := 0
	if mainErr == nil {
		for i, p := range order {
			if fi, err := os.Stat(p); err == nil && os.SameFile(fi, mainFI) {
				start = i + 1
			}
		}
	}
	var out []Override
	for _, p := range order[start:] {
		if fi, err := os.Stat(p); err == nil && mainErr == nil && os.SameFile(fi, mainFI) {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("find overrides: read %s: %w", p, err))
			}
			continue
		}
		f, err := Parse(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("find overrides: parse %s: %w (nova would refuse to start)", p, err))
			continue
		}
		for i := range f.entries {
			if !f.managed(i) {
				continue
			}
			e := f.entries[i]
			out = append(out, Override{File: p, Section: f.sections[e.section].name, Key: e.key, Line: e.first + 1, Value: e.value})
		}
	}
	return out, errors.Join(errs...)
}

// Warnings returns notes about lines that look like managed options but
// that oslo.config ignores: keys differing only in case or with "-" for "_"
// (oslo keys are case-sensitive), managed keys outside [libvirt], sections
// that are "libvirt" only after trimming spaces, and both spellings of the
// models option. They name lines and key names, never values.
func (f *File) Warnings() []string {
	var w []string
	spellings := map[string]bool{}
	for i := range f.entries {
		e := f.entries[i]
		sec := f.sections[e.section]
		norm := strings.ReplaceAll(strings.ToLower(e.key), "-", "_")
		near := isManagedKey(norm)
		switch {
		case sec.libvirt && isManagedKey(e.key):
			spellings[e.key] = true
		case near && !isManagedKey(e.key):
			w = append(w, fmt.Sprintf("line %d: key %q is ignored by oslo.config (keys are case-sensitive); write %s", e.first+1, e.key, norm))
		case near && normalizeSection(pyStrip(sec.name)) == sectionLibvirt:
			w = append(w, fmt.Sprintf("line %d: section header %q is not [libvirt] for oslo.config (spaces count); %s there is ignored", sec.line+1, "["+sec.name+"]", e.key))
		case near:
			w = append(w, fmt.Sprintf("line %d: %s in section [%s] has no effect; it belongs in [libvirt]", e.first+1, e.key, sec.name))
		}
	}
	if spellings[KeyModels] && spellings[KeyModelLegacy] {
		w = append(w, "both cpu_models and the deprecated cpu_model are set in [libvirt]; cpu_models wins, cpu_model is ignored")
	}
	return w
}
