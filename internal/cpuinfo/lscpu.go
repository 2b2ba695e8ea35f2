package cpuinfo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// field is one "Key: value" entry of lscpu output, in input order.
type field struct {
	key   string
	value string
}

// x86Arch lists lscpu Architecture values of x86 hosts.
var x86Arch = map[string]bool{"x86_64": true, "amd64": true, "i386": true, "i486": true, "i586": true, "i686": true}

// lscpuLine is one physical line of lscpu text output.
type lscpuLine struct {
	text   string // line without trailing "\r"
	indent int    // bytes of leading blanks
}

// parseLscpu parses lscpu text output. Continuation lines of a hard-wrapped
// value (no "Key:" of their own) are joined to it by plain concatenation.
func parseLscpu(data []byte) (*CPU, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: give the output of lscpu", ErrEmpty)
	}
	var (
		fields []field
		cont   [][]lscpuLine // continuation lines of fields[i]
		col    []int         // column where fields[i]'s value starts
		first  []lscpuLine   // first line of fields[i]
	)
	text := string(data)
	for len(text) > 0 {
		var raw string
		raw, text, _ = strings.Cut(text, "\n")
		raw = strings.TrimRight(raw, "\r")
		trim := strings.TrimLeft(raw, " \t")
		if strings.TrimSpace(trim) == "" {
			continue
		}
		ln := lscpuLine{text: raw, indent: len(raw) - len(trim)}
		if key, rest, ok := strings.Cut(trim, ":"); ok && isLscpuKey(key) {
			value := strings.TrimLeft(rest, " \t")
			fields = append(fields, field{key: strings.TrimSpace(key), value: value})
			cont = append(cont, nil)
			col = append(col, len(raw)-len(value))
			first = append(first, ln)
			continue
		}
		if len(fields) == 0 {
			continue // e.g. a "$ lscpu" prompt line before the output
		}
		i := len(fields) - 1
		cont[i] = append(cont[i], ln)
	}
	for i := range fields {
		if len(cont[i]) > 0 {
			fields[i].value = joinWrapped(first[i], col[i], cont[i])
		}
	}
	return fromLscpuFields(FormatLscpu, fields)
}

// isLscpuKey reports whether s (text before the first ':') is an lscpu key:
// starts with a letter, no flag-like lower-case single token (continuation
// lines never contain ':' anyway).
func isLscpuKey(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return false
	}
	c := s[0]
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// joinWrapped joins a hard-wrapped value. Continuation lines lose the
// indentation up to the value column, then are concatenated as they are.
// Wrapping is at a fixed width, so a non-last line shorter than the widest
// one had its trailing blank stripped (FD.io CSIT docs: "stibp" +
// "ibrs_enhanced"); a space is put back there.
func joinWrapped(head lscpuLine, col int, cont []lscpuLine) string {
	lines := append([]lscpuLine{head}, cont...)
	width := 0
	for _, l := range lines[:len(lines)-1] {
		width = max(width, len(l.text))
	}
	var b strings.Builder
	for i, l := range lines {
		seg := l.text
		switch {
		case i == 0:
			seg = seg[col:]
		case !strings.Contains(seg[:l.indent], "\t") && l.indent >= col:
			seg = seg[col:] // keep blanks beyond the value column: they are content
		default:
			seg = seg[l.indent:]
		}
		b.WriteString(seg)
		if i < len(lines)-1 && len(lines) > 2 && len(l.text) < width && !strings.HasSuffix(seg, " ") {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// lscpuJSON is one entry of lscpu -J: {"field": "Flags:", "data": "...", "children": [...]}.
type lscpuJSON struct {
	Field    string      `json:"field"`
	Data     *string     `json:"data"`
	Children []lscpuJSON `json:"children"`
}

// parseLscpuJSON parses lscpu -J output, flat (util-linux < 2.37) or nested.
func parseLscpuJSON(data []byte) (*CPU, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: give the output of lscpu -J", ErrEmpty)
	}
	var doc struct {
		Lscpu *[]lscpuJSON `json:"lscpu"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%w: not lscpu -J output (%v); give the output of lscpu -J", ErrUnknownFormat, err)
		}
		return nil, fmt.Errorf("%w: invalid JSON (%v); give the complete output of lscpu -J", ErrTruncated, err)
	}
	if doc.Lscpu == nil {
		return nil, fmt.Errorf("%w: JSON without an \"lscpu\" array; give the output of lscpu -J", ErrUnknownFormat)
	}
	var fields []field
	var walk func([]lscpuJSON, int) error
	walk = func(entries []lscpuJSON, depth int) error {
		if depth > 32 {
			return fmt.Errorf("%w: lscpu -J entries nested deeper than 32 levels", ErrUnknownFormat)
		}
		for _, e := range entries {
			v := ""
			if e.Data != nil {
				v = *e.Data
			}
			fields = append(fields, field{key: strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(e.Field), ":")), value: v})
			if err := walk(e.Children, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(*doc.Lscpu, 0); err != nil {
		return nil, err
	}
	return fromLscpuFields(FormatLscpuJSON, fields)
}

// fromLscpuFields builds a CPU from lscpu fields (text or JSON).
func fromLscpuFields(f Format, fields []field) (*CPU, error) {
	c := &CPU{Format: f}
	var flagSets [][]string
	seen := map[string]bool{}
	for _, fl := range fields {
		v := strings.TrimSpace(fl.value)
		if fl.key == "Flags" {
			set := sortUnique(strings.Fields(v))
			if err := checkFlags(set, fmt.Sprintf("lscpu Flags entry %d", len(flagSets))); err != nil {
				return nil, err
			}
			flagSets = append(flagSets, set)
			continue
		}
		if seen[fl.key] {
			continue // hybrid CPUs: keep the first CPU type's values
		}
		seen[fl.key] = true
		switch fl.key {
		case "Architecture":
			c.Architecture = v
		case "CPU(s)":
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				c.LogicalCPUs = n
			}
		case "Vendor ID":
			c.setVendor(fl.value)
		case "Model name":
			if v != "-" {
				c.ModelName = v
			}
		case "CPU family":
			c.Family = atoiPtr(v)
		case "Model":
			c.Model = atoiPtr(v)
		case "Stepping":
			c.Stepping = atoiPtr(v)
		case "Hypervisor vendor":
			c.HypervisorVendor = v
		}
	}
	if c.Architecture != "" && !x86Arch[c.Architecture] {
		return nil, fmt.Errorf("%w: input is lscpu output of %s host; cpu_flags handles x86-64 hosts only (gather from the x86-64 hypervisors, leave this host out)", ErrNotX86, withArticle(c.Architecture))
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: no \"Key: value\" lines; give the output of lscpu", ErrNoFlags)
	}
	if len(flagSets) == 0 {
		return nil, fmt.Errorf("%w: lscpu output without a \"Flags:\" entry; give the output of lscpu from an x86-64 host", ErrNoFlags)
	}
	ids := make([]int, len(flagSets))
	for i := range ids {
		ids[i] = i
	}
	c.Flags, c.FlagDifferences = intersect(flagSets, ids)
	return c.finish()
}

// withArticle prefixes an architecture name with "a" or "an" as it is read
// aloud ("an aarch64", "an s390x", "a ppc64le").
func withArticle(arch string) string {
	if arch == "" {
		return "an unknown"
	}
	switch arch[0] {
	case 'a', 'e', 'i', 'o', 'u', 's', 'x', 'A', 'E', 'I', 'O', 'U', 'S', 'X':
		return "an " + arch
	}
	return "a " + arch
}
