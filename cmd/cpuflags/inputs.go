package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/clusterrun"
)

// expandInputs turns the command line's inputs into one source per host.
// An input is [GROUP=]PATH where PATH is
//   - a file: one host, named after the file (hostName);
//   - a directory: every regular file in it whose name does not start with
//     a dot, in name order (the gather role's output directory);
//   - @LIST: a file with one input per line (blank lines and lines starting
//     with # are skipped; relative paths are relative to the current
//     directory, as for a command line); it lifts the argument-length limit.
//
// A GROUP= prefix on a directory or a list applies to every host in it; a
// line of a list may carry its own.
func expandInputs(args []string) ([]clusterrun.Source, error) {
	var out []clusterrun.Source
	for _, arg := range args {
		if list, ok := strings.CutPrefix(arg, "@"); ok {
			srcs, err := readList(list, "")
			if err != nil {
				return nil, err
			}
			out = append(out, srcs...)
			continue
		}
		group, path := splitGroup(arg)
		if list, ok := strings.CutPrefix(path, "@"); ok && group != "" {
			srcs, err := readList(list, group)
			if err != nil {
				return nil, err
			}
			out = append(out, srcs...)
			continue
		}
		srcs, err := expandPath(group, path)
		if err != nil {
			return nil, err
		}
		out = append(out, srcs...)
	}
	return out, nil
}

func expandPath(group, path string) ([]clusterrun.Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w (give a facts or capture file, a directory of them, or @LIST)", path, err)
	}
	if !st.IsDir() {
		return []clusterrun.Source{{Name: hostName(path), Group: group, Path: path}}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("input directory %s: %w", path, err)
	}
	var out []clusterrun.Source
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() && e.Type()&os.ModeSymlink == 0 {
			continue
		}
		p := filepath.Join(path, e.Name())
		if e.Type()&os.ModeSymlink != 0 {
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				continue
			}
		}
		out = append(out, clusterrun.Source{Name: hostName(p), Group: group, Path: p})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("input directory %s holds no facts or capture files", path)
	}
	return out, nil // os.ReadDir sorts by name
}

// readList reads @LIST: one [GROUP=]PATH per line.
func readList(list, group string) ([]clusterrun.Source, error) {
	fh, err := os.Open(list)
	if err != nil {
		return nil, fmt.Errorf("input list @%s: %w", list, err)
	}
	defer fh.Close()
	var out []clusterrun.Source
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "@") {
			return nil, fmt.Errorf("input list @%s line %d: %s: a list cannot name another list; inline its lines", list, n, line)
		}
		g, path := splitGroup(line)
		if g == "" {
			g = group
		}
		srcs, err := expandPath(g, path)
		if err != nil {
			return nil, fmt.Errorf("input list @%s line %d: %w", list, n, err)
		}
		out = append(out, srcs...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("input list @%s: %w", list, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("input list @%s names no inputs", list)
	}
	return out, nil
}
