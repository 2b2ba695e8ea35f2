package novaconf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// secretMarker is in every secret value of the test inputs.
const secretMarker = "s3cr3t"

func readIn(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "in", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCPU(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		reason string
		want   CPUSettings
	}{
		{"package", "package.conf", "only commented defaults in [libvirt]: nothing set", CPUSettings{Present: map[string]bool{}}},
		{"kolla", "kolla.conf", "plain key = value", CPUSettings{Mode: "host-model", Present: map[string]bool{KeyMode: true}}},
		{"tripleo", "tripleo.conf", "puppet writes key=value without spaces, empty lists are []", CPUSettings{
			Mode: "host-model", Models: []string{}, ExtraFlags: []string{}, ModelsKey: KeyModels,
			Present: map[string]bool{KeyMode: true, KeyModels: true, KeyExtraFlags: true}}},
		{"legacy cpu_model", "legacy_cpu_model.conf", "pre-Train spelling is the deprecated name of cpu_models", CPUSettings{
			Mode: "custom", Models: []string{"IvyBridge"}, ExtraFlags: []string{"pcid"}, ModelsKey: KeyModelLegacy,
			Present: map[string]bool{KeyMode: true, KeyModels: true, KeyModelLegacy: true, KeyExtraFlags: true}}},
		{"repeated sections", "repeated_sections.conf", "[libvirt] and [LIBVIRT] merge; the last occurrence wins", CPUSettings{
			Mode: "host-model", ExtraFlags: []string{"-hle", "-rtm"},
			Present: map[string]bool{KeyMode: true, KeyExtraFlags: true}}},
		{"continuation", "continuation.conf", "indented lines continue a value, joined with newline then split at commas", CPUSettings{
			Mode: "custom", Models: []string{"Haswell-noTSX", "Broadwell-noTSX"}, ExtraFlags: []string{"-hle", "-rtm", "+pcid"}, ModelsKey: KeyModels,
			Present: map[string]bool{KeyMode: true, KeyModels: true, KeyExtraFlags: true}}},
		{"crlf", "crlf.conf", "CRLF is a line end, not part of the value", CPUSettings{Mode: "host-model", Present: map[string]bool{KeyMode: true}}},
		{"no trailing newline", "no_trailing_newline.conf", "last line without terminator still counts", CPUSettings{Mode: "host-model", Present: map[string]bool{KeyMode: true}}},
		{"mixed case", "mixed_case.conf", "section names are case-insensitive, keys are not; ':' separates; quotes are stripped; [DEFAULT] cpu_mode is another option", CPUSettings{
			Mode: "host-model", Present: map[string]bool{KeyMode: true}}},
		{"flags", "flags.conf", "+flag/-flag items kept as written, spaces after commas stripped", CPUSettings{
			Mode: "custom", Models: []string{"Cascadelake-Server"}, ExtraFlags: []string{"-hle", "-rtm", "+ssbd", "mtrr", "-PDPE1GB", "+VMX"}, ModelsKey: KeyModels,
			Present: map[string]bool{KeyMode: true, KeyModels: true, KeyExtraFlags: true}}},
		{"both spellings", "both_spellings.conf", "cpu_models wins over cpu_model in one file whatever the order", CPUSettings{
			Mode: "custom", Models: []string{"Skylake-Client"}, ModelsKey: KeyModels,
			Present: map[string]bool{KeyMode: true, KeyModels: true, KeyModelLegacy: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(readIn(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, tt.reason)
			}
			if d := cmp.Diff(tt.want, f.CPU()); d != "" {
				t.Errorf("CPU() mismatch (-want +got) — %s:\n%s", tt.reason, d)
			}
		})
	}
}

func TestParseInline(t *testing.T) {
	tests := []struct {
		name, in, reason string
		mode             string
		flags            []string
	}{
		{"quotes double", "[libvirt]\ncpu_mode = \"custom\"\n", "matching quotes around the whole value are stripped", "custom", nil},
		{"lone quote", "[libvirt]\ncpu_mode = \"\n", "Python '\"'[1:-1] is empty", "", nil},
		{"quotes mismatched", "[libvirt]\ncpu_mode = \"custom'\n", "mismatched quotes stay", "\"custom'", nil},
		{"inline hash", "[libvirt]\ncpu_mode = custom # comment\n", "no inline comments in oslo", "custom # comment", nil},
		{"colon before equal", "[libvirt]\ncpu_mode: a=b\n", "first of ':' and '=' separates", "a=b", nil},
		{"equal before colon", "[libvirt]\ncpu_mode = a:b\n", "first of ':' and '=' separates", "a:b", nil},
		{"last wins", "[libvirt]\ncpu_mode = none\ncpu_mode = custom\n", "single-valued option takes the last value", "custom", nil},
		{"blank ends continuation", "[libvirt]\ncpu_model_extra_flags = a,\n\nvirt_type = kvm\n", "blank line ends the value", "", []string{"a"}},
		{"indented comment continues", "[libvirt]\ncpu_model_extra_flags = a\n  # b, c\n", "an indented '#' line is a continuation, not a comment", "", []string{"a\n# b", "c"}},
		{"trailing commas", "[libvirt]\ncpu_model_extra_flags = a, b,,\n", "List strips trailing commas", "", []string{"a", "b"}},
		{"empty item", "[libvirt]\ncpu_model_extra_flags = a,,b\n", "inner empty items stay", "", []string{"a", "", "b"}},
		{"lone CR", "[libvirt]\rcpu_mode = none\r", "universal newlines: lone CR ends a line", "none", nil},
		{"section spaces", "[ libvirt ]\ncpu_mode = none\n", "section names are not trimmed", "", nil},
		{"DEFAULT case", "[libvirt]\ncpu_mode = none\n[DEFAULT]\ncpu_mode = custom\n", "[DEFAULT] is another section", "none", nil},
		{"unicode space strip", "[libvirt]\ncpu_mode =\u00a0none\u3000\n", "Python strip removes Unicode whitespace", "none", nil},
		{"dotless I section", "[L\u0130BVIRT]\ncpu_mode = none\n", "Python lowers U+0130 to i + combining dot, not i", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, tt.reason)
			}
			got := f.CPU()
			if got.Mode != tt.mode {
				t.Errorf("Mode = %q, want %q (%s)", got.Mode, tt.mode, tt.reason)
			}
			if tt.flags != nil {
				if d := cmp.Diff(tt.flags, got.ExtraFlags); d != "" {
					t.Errorf("ExtraFlags (-want +got) %s:\n%s", tt.reason, d)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
		line             int
		msg              string
	}{
		{"no separator", "[DEFAULT]\npassword s3cr3t-nosep\n", "a line without = or : is invalid", 2, `no "=" or ":"`},
		{"empty key", "[DEFAULT]\n= s3cr3t-emptykey\n", "key cannot be empty", 2, "key cannot be empty"},
		{"continuation after blank", "[DEFAULT]\npassword = a\n\n  s3cr3t-cont\n", "blank line ends the value", 4, "unexpected continuation"},
		{"continuation after comment", "[DEFAULT]\n# c\n  s3cr3t-cont\n", "comment ends the value", 3, "unexpected continuation"},
		{"continuation after header", "[DEFAULT]\n  s3cr3t-cont\n", "nothing to continue", 2, "unexpected continuation"},
		{"header with comment", "[database] # s3cr3t-hdr\n", "oslo needs ] at the end", 1, `must end with "]"`},
		{"empty section", "[]\n", "empty section name", 1, "empty section name"},
		{"no section", "password = s3cr3t-nosec\n", "assignment before any section", 1, "before the first section"},
		{"invalid utf8", "[DEFAULT]\npassword = s3cr3t-\xff\n", "Python fails to decode", 2, "UTF-8"},
		{"bom", "\ufeff[DEFAULT]\npassword = s3cr3t-bom\n", "a BOM is not stripped by oslo, the header line is then an assignment", 1, `no "=" or ":"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded, want error (%s)", tt.reason)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tt.line {
				t.Errorf("error %v: want ParseError at line %d (%s)", err, tt.line, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), secretMarker) {
				t.Errorf("error leaks file content: %q", err)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		name, in, reason string
		want             []string
	}{
		{"empty", "", "empty value is an empty list", []string{}},
		{"spaces", "  a ,b  , c ", "items are stripped", []string{"a", "b", "c"}},
		{"only commas", ",,,", "trailing commas removed first", []string{}},
		{"leading comma", ",a", "leading empty item kept", []string{"", "a"}},
		{"newline", "a,\nb", "continuation joins with newline, stripped per item", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, SplitList(tt.in)); d != "" {
				t.Errorf("(-want +got) %s:\n%s", tt.reason, d)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	f, err := Parse(readIn(t, "mixed_case.conf"))
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(f.Warnings(), "\n")
	for _, want := range []string{"line 2: cpu_mode in section [DEFAULT]", `line 5: key "CPU_MODE"`, `line 6: key "cpu-models"`} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
	if strings.Contains(w, secretMarker) {
		t.Errorf("warnings leak a secret: %q", w)
	}
	f2, err := Parse(readIn(t, "both_spellings.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if w := f2.Warnings(); len(w) != 1 || !strings.Contains(w[0], "both cpu_models and the deprecated cpu_model") {
		t.Errorf("both spellings: warnings = %q", w)
	}
	f3, err := Parse([]byte("[ libvirt ]\ncpu_mode = none\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := f3.Warnings(); len(w) != 1 || !strings.Contains(w[0], "spaces count") {
		t.Errorf("spaced section: warnings = %q", w)
	}
}
