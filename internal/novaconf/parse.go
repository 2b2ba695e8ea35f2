// Package novaconf reads and edits nova.conf the way oslo.config reads it,
// changing only the [libvirt] CPU keys (cpu_mode, cpu_models or its pre-Train
// spelling cpu_model, cpu_model_extra_flags) and keeping every other byte.
//
// The parser follows oslo_config.iniparser.BaseParser and
// oslo_config.cfg.ConfigParser:
//
//   - the file is decoded as UTF-8 (invalid UTF-8 makes nova fail to start,
//     so it is a parse error here) and split with Python's universal newlines
//     ("\n", "\r\n" and a lone "\r" all end a line);
//   - every line is right-stripped of Python whitespace; an empty result is a
//     blank line, which ends a multi-line value;
//   - a line starting with a space or tab continues the previous assignment
//     (its left-stripped text is appended with "\n"); after a blank line,
//     comment or section header it is an error;
//   - "[name]" starts a section; the name is taken verbatim (no trimming);
//     names are compared lower-cased except "DEFAULT", so [LIBVIRT] and
//     repeated [libvirt] sections merge;
//   - "#" and ";" start a comment only at the start of a line; there are no
//     inline comments ("a = b # c" has the value "b # c");
//   - "key = value" and "key: value" split at whichever of "=" and ":" comes
//     first; key and value are stripped; a value wholly enclosed in matching
//     single or double quotes loses them; keys are case-sensitive;
//   - an assignment before the first section header is an error;
//   - a repeated key collects every value; a single-valued option takes the
//     last one of the newest file, and the new option name (cpu_models) wins
//     over its deprecated name (cpu_model) within one file, whatever the
//     order.
//
// No error, diff or warning produced by this package quotes any value from
// the file other than the values of the managed keys: nova.conf holds
// database and message-queue passwords.
package novaconf

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Managed key names in [libvirt].
const (
	KeyMode          = "cpu_mode"
	KeyModels        = "cpu_models"
	KeyModelLegacy   = "cpu_model" // deprecated_name of cpu_models (pre-Train spelling)
	KeyExtraFlags    = "cpu_model_extra_flags"
	sectionLibvirt   = "libvirt"
	sectionDefault   = "DEFAULT"
	maxDiffLCSMatrix = 4 << 20
)

// ParseError reports why a file cannot be read the way oslo.config reads it.
// It carries a line number and a fixed reason, never the content of the line.
type ParseError struct {
	Line   int    // 1-based line number
	Reason string // what is wrong and how to fix it; never file content
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

type lineKind uint8

const (
	kindBlank lineKind = iota
	kindComment
	kindSection
	kindKey
	kindCont
)

// line is one physical line of the file.
type line struct {
	start, end int // content (without terminator)
	next       int // offset just past the terminator
	kind       lineKind
	entry      int // index into File.entries for kindKey/kindCont, else -1
	section    int // index into File.sections of the enclosing section, -1 before any
}

// section is one section header occurrence.
type section struct {
	name    string // verbatim, as oslo keeps it
	line    int    // line index of the header
	libvirt bool   // normalizes to "libvirt"
}

// entry is one assignment (key line plus continuation lines).
type entry struct {
	key         string // stripped key, case kept
	value       string // oslo value: quotes stripped, continuation lines joined by "\n"
	first, last int    // line indices
	section     int    // index into File.sections
	valueStart  int    // byte offset where the value starts on the key line
	sepEnd      int    // byte offset just past the separator
	keyEnd      int    // byte offset just past the (unstripped) key text
}

// File is a parsed nova.conf. It keeps the original bytes and the span of
// every line so that edits can leave all other bytes untouched.
type File struct {
	data     []byte
	lines    []line
	entries  []entry
	sections []section
	eol      string // dominant line terminator
}

// pyIsSpace reports whether Python's str.isspace is true for r.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func pyRStrip(s string) string { return strings.TrimRightFunc(s, pyIsSpace) }
func pyLStrip(s string) string { return strings.TrimLeftFunc(s, pyIsSpace) }
func pyStrip(s string) string  { return strings.TrimFunc(s, pyIsSpace) }

// pyLower lower-cases s like Python's str.lower for the purpose of comparing
// with ASCII names: U+0130 becomes "i̇" (two runes), not "i".
func pyLower(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == 0x130 {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// normalizeSection mirrors oslo's _normalize_group_name.
func normalizeSection(name string) string {
	if name == sectionDefault {
		return name
	}
	return pyLower(name)
}

// Parse reads data the way oslo.config reads a config file. Errors name the
// line number and the problem; they never include text from the file.
func Parse(data []byte) (*File, error) {
	f := &File{data: data}
	f.splitLines()
	cur := -1  // current section index
	open := -1 // entry that may still take continuation lines
	for i := range f.lines {
		ln := &f.lines[i]
		ln.entry, ln.section = -1, cur
		raw := data[ln.start:ln.end]
		if !utf8.Valid(raw) {
			return nil, &ParseError{Line: i + 1, Reason: "not valid UTF-8 (oslo.config reads files as UTF-8); re-encode the file"}
		}
		text := pyRStrip(string(raw))
		switch {
		case text == "":
			ln.kind = kindBlank
			open = -1
		case text[0] == ' ' || text[0] == '\t':
			if open < 0 {
				return nil, &ParseError{Line: i + 1, Reason: "unexpected continuation line (an indented line must follow a key = value line without a blank or comment line between); remove the indentation"}
			}
			ln.kind, ln.entry = kindCont, open
			e := &f.entries[open]
			e.value += "\n" + pyLStrip(text)
			e.last = i
		case text[0] == '[':
			open = -1
			if text[len(text)-1] != ']' {
				return nil, &ParseError{Line: i + 1, Reason: `invalid section header (must end with "]"; oslo.config allows no comment after it)`}
			}
			if len(text) <= 2 {
				return nil, &ParseError{Line: i + 1, Reason: "empty section name"}
			}
			name := text[1 : len(text)-1]
			f.sections = append(f.sections, section{name: name, line: i, libvirt: normalizeSection(name) == sectionLibvirt})
			cur = len(f.sections) - 1
			ln.kind, ln.section = kindSection, cur
		case text[0] == '#' || text[0] == ';':
			open = -1
			ln.kind = kindComment
		default:
			open = -1
			e, reason := splitKeyValue(text)
			if reason != "" {
				return nil, &ParseError{Line: i + 1, Reason: reason}
			}
			if cur < 0 {
				return nil, &ParseError{Line: i + 1, Reason: "assignment before the first section header; put it under a section such as [DEFAULT]"}
			}
			e.first, e.last, e.section = i, i, cur
			e.valueStart += ln.start
			e.sepEnd += ln.start
			e.keyEnd += ln.start
			f.entries = append(f.entries, e)
			open = len(f.entries) - 1
			ln.kind, ln.entry = kindKey, open
		}
	}
	return f, nil
}

// splitKeyValue mirrors BaseParser._split_key_value on an rstripped line.
// Offsets in the returned entry are relative to the line start.
func splitKeyValue(text string) (entry, string) {
	colon := strings.IndexByte(text, ':')
	equal := strings.IndexByte(text, '=')
	if colon < 0 && equal < 0 {
		return entry{}, `no "=" or ":" found in assignment; write key = value or comment the line out with "#"`
	}
	sep := colon
	if colon < 0 || (equal >= 0 && equal < colon) {
		sep = equal
	}
	key := pyStrip(text[:sep])
	if key == "" {
		return entry{}, `key cannot be empty (the line starts with "=" or ":")`
	}
	rest := text[sep+1:]
	value := pyStrip(rest)
	lead := len(rest) - len(pyLStrip(rest))
	if len(value) >= 1 && value[0] == value[len(value)-1] && (value[0] == '"' || value[0] == '\'') {
		if len(value) == 1 {
			value = "" // Python: '"'[1:-1] == ''
		} else {
			value = value[1 : len(value)-1]
		}
	}
	return entry{
		key:        key,
		value:      value,
		keyEnd:     sep,
		sepEnd:     sep + 1,
		valueStart: sep + 1 + lead,
	}, ""
}

// splitLines splits f.data with Python universal newlines and records the
// dominant terminator.
func (f *File) splitLines() {
	data := f.data
	var nLF, nCRLF, nCR int
	start := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c != '\n' && c != '\r' {
			continue
		}
		end := i
		if c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
			nCRLF++
		} else if c == '\r' {
			nCR++
		} else {
			nLF++
		}
		f.lines = append(f.lines, line{start: start, end: end, next: i + 1})
		start = i + 1
	}
	if start < len(data) {
		f.lines = append(f.lines, line{start: start, end: len(data), next: len(data)})
	}
	switch {
	case nCRLF > nLF && nCRLF >= nCR:
		f.eol = "\r\n"
	case nCR > nLF && nCR > nCRLF:
		f.eol = "\r"
	default:
		f.eol = "\n"
	}
}

// Bytes returns the original content.
func (f *File) Bytes() []byte { return f.data }

// canonical maps a managed key name to its option (cpu_model → cpu_models).
func canonical(key string) string {
	if key == KeyModelLegacy {
		return KeyModels
	}
	return key
}

func isManagedKey(key string) bool {
	switch key {
	case KeyMode, KeyModels, KeyModelLegacy, KeyExtraFlags:
		return true
	}
	return false
}

// managed reports whether entry i is a managed key in a [libvirt] section.
func (f *File) managed(i int) bool {
	e := &f.entries[i]
	return f.sections[e.section].libvirt && isManagedKey(e.key)
}

// SplitList splits a ListOpt value like oslo_config.types.List with String
// items: strip, drop trailing commas, split at ",", strip every item.
func SplitList(v string) []string {
	s := strings.TrimRight(pyStrip(v), ",")
	if s == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = pyStrip(p)
	}
	return parts
}
