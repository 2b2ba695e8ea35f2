// Package demodata keeps the demo inventory's captured CPUs
// (examples/demo/cpus) in step with the reference samples they are copied
// from. The copy is done by the generator in ./gen; the test fails when a
// copy differs from its source.
package demodata

//go:generate go run ./gen -manifest ../../examples/demo/cpus/MANIFEST.tsv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// Entry is one demo host: its inventory name, group and sample file name.
type Entry struct {
	Host, Group, Sample string
}

// ReadManifest parses the tab-separated manifest (host, group, sample);
// blank lines and lines starting with '#' are ignored.
func ReadManifest(path string) ([]Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read demo manifest: %w", err)
	}
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want 3 tab-separated fields (host, group, sample), got %d", path, n, len(f))
		}
		out = append(out, Entry{Host: f[0], Group: f[1], Sample: f[2]})
	}
	return out, sc.Err()
}
