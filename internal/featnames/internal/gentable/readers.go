package gentable

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
)

type tsv struct {
	header map[string]int
	rows   [][]string
}

func (t *tsv) get(row []string, col string) string {
	i, ok := t.header[col]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

func readTSV(path string) (*tsv, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	t := &tsv{header: map[string]int{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if first {
			for i, c := range cols {
				t.header[c] = i
			}
			first = false
			continue
		}
		t.rows = append(t.rows, cols)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if first {
		return nil, fmt.Errorf("read %s: no header line", path)
	}
	return t, nil
}

func readLinuxOnly(path string) (a, b map[string]bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	a, b = map[string]bool{}, map[string]bool{}
	cur := a
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "# Section A"):
			cur = a
		case strings.HasPrefix(line, "# Section B"):
			cur = b
		case strings.HasPrefix(line, "#"), strings.TrimSpace(line) == "":
		default:
			name, _, _ := strings.Cut(line, "\t")
			cur[name] = true
		}
	}
	if len(a) == 0 || len(b) == 0 {
		return nil, nil, fmt.Errorf("read %s: expected sections A and B", path)
	}
	return a, b, nil
}

// readMigratable returns the features x86_features.xml marks migratable='no'.
func readMigratable(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var doc struct {
		Features []struct {
			Name       string `xml:"name,attr"`
			Migratable string `xml:"migratable,attr"`
		} `xml:"feature"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	out := map[string]bool{}
	for _, f := range doc.Features {
		if f.Migratable == "no" {
			out[f.Name] = true
		}
	}
	for name := range out {
		if name == "" {
			return nil, fmt.Errorf("parse %s: feature without a name", path)
		}
	}
	// Return every name, so Load can check both files list the same set.
	all := map[string]bool{}
	for _, f := range doc.Features {
		all[f.Name] = out[f.Name]
	}
	return all, nil
}
