package cpuinfo

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ip(n int) *int { return &n }

func sorted(s string) []string {
	f := strings.Fields(s)
	sort.Strings(f)
	return f
}

func TestHandMade(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		format  Format
		want    *CPU
		wantErr error
		errHas  []string // substrings the error message must contain
		reason  string
	}{
		{
			name: "multi-cpu one core lacks avx2", file: "multi-cpu-differ.cpuinfo",
			reason: "flags are the intersection; avx2 (missing on processor 2) and hypervisor (only on 3) are recorded",
			want: &CPU{
				Format: FormatCPUInfo, Architecture: "x86_64", VendorID: "GenuineIntel", Vendor: "Intel",
				Family: ip(6), Model: ip(85), Stepping: ip(7),
				ModelName: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", Microcode: "0x5003604", LogicalCPUs: 4,
				Flags:       sorted("fpu vme de pse tsc msr sse sse2 ht syscall nx lm pni ssse3 sse4_1 sse4_2 avx avx512f"),
				FlagsDiffer: true,
				FlagDifferences: []FlagDifference{
					{Flag: "avx2", PresentOn: []int{0, 1, 3}, MissingOn: []int{2}},
					{Flag: "hypervisor", PresentOn: []int{3}, MissingOn: []int{0, 1, 2}},
				},
				Bugs:       []string{"mds", "spectre_v1", "spectre_v2"},
				VMXFlags:   []string{"ept", "vnmi"},
				Hypervisor: true,
			},
		},
		{
			name: "zhaoxin keeps padded vendor string", file: "zhaoxin.cpuinfo",
			reason: "CPUID vendor '  Shanghai  ' maps to libvirt Zhaoxin; VendorID stays raw",
			want: &CPU{
				Format: FormatCPUInfo, Architecture: "x86_64", VendorID: "  Shanghai  ", Vendor: "Zhaoxin",
				Family: ip(7), Model: ip(59), Stepping: ip(0),
				ModelName: "ZHAOXIN KaiXian KX-U6780A@2.7GHz", Microcode: "0x10d", LogicalCPUs: 1,
				Flags: sorted("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat clflush acpi mmx fxsr sse sse2 ss ht tm syscall nx lm pni ssse3 sse4_1 sse4_2 avx vmx"),
			},
		},
		{
			name: "flag list with leading spaces, comments, CRLF", file: "leading-space.flags",
			reason: "the manual procedure's diff pipeline leaves a leading space",
			want:   &CPU{Format: FormatFlagList, Flags: []string{"abm", "adx", "aes", "apic", "avx", "avx2"}},
		},
		{
			name: "wrapped lscpu", file: "wrapped.lscpu",
			reason: "continuation lines concatenate; short lines lost a trailing space; mid-word wraps join",
			want: &CPU{
				Format: FormatLscpu, Architecture: "x86_64", VendorID: "GenuineIntel", Vendor: "Intel",
				Family: ip(6), Model: ip(106), Stepping: ip(6),
				ModelName: "Intel(R) Xeon(R) Platinum 8358 CPU @ 2.60GHz", LogicalCPUs: 128,
				Flags: sorted("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc ssbd mba ibrs ibpb stibp ibrs_enhanced tpr_shadow flush_l1d arch_capabilities"),
			},
		},
		{
			name: "indented util-linux 2.38 lscpu, Hygon", file: "indented.lscpu",
			reason: "keys may be indented (tree output); empty section headers are fine",
			want: &CPU{
				Format: FormatLscpu, Architecture: "x86_64", VendorID: "HygonGenuine", Vendor: "Hygon",
				Family: ip(24), Model: ip(0), Stepping: ip(1),
				ModelName: "Hygon C86 7151 16-core Processor", LogicalCPUs: 8,
				Flags: sorted("fpu vme de pse tsc msr pae sse sse2 ht syscall nx lm svm avx avx2"),
			},
		},
		{
			name: "nested lscpu -J", file: "nested.lscpu.json",
			reason: "newer lscpu -J nests fields under children; data may be null",
			want: &CPU{
				Format: FormatLscpuJSON, Architecture: "x86_64", VendorID: "AuthenticAMD", Vendor: "AMD",
				Family: ip(25), Model: ip(97), Stepping: ip(2),
				ModelName: "AMD Ryzen 9 7950X 16-Core Processor", LogicalCPUs: 32,
				Flags: sorted("fpu vme de pse tsc msr sse sse2 ht syscall nx lm svm avx avx2 avx512f sse4a"),
			},
		},
		{
			name: "hybrid lscpu -J with two Flags entries", file: "hybrid.lscpu.json",
			reason: "per-CPU-type Flags are intersected; differences use the Flags entry index",
			want: &CPU{
				Format: FormatLscpuJSON, Architecture: "x86_64", VendorID: "GenuineIntel", Vendor: "Intel",
				Family: ip(6), Model: ip(186), Stepping: ip(2),
				ModelName: "13th Gen Intel(R) Core(TM) i7-1370P", LogicalCPUs: 20,
				Flags:       sorted("fpu sse sse2 avx avx2 avx_vnni"),
				FlagsDiffer: true,
				FlagDifferences: []FlagDifference{
					{Flag: "ht", PresentOn: []int{0}, MissingOn: []int{1}},
				},
			},
		},
		{name: "aarch64 cpuinfo", file: "aarch64.cpuinfo", wantErr: ErrNotX86,
			errHas: []string{"aarch64 /proc/cpuinfo", "x86-64 hosts only"}, reason: "CPU implementer/Features lines"},
		{name: "aarch64 lscpu -J", file: "aarch64.lscpu.json", wantErr: ErrNotX86,
			errHas: []string{"aarch64 host"}, reason: "Architecture: aarch64 even though Flags exist"},
		{name: "ppc64le lscpu", file: "ppc64le.lscpu", wantErr: ErrNotX86,
			errHas: []string{"ppc64le"}, reason: "Architecture: ppc64le, no Flags"},
		{name: "s390x cpuinfo", file: "s390x.cpuinfo", wantErr: ErrNotX86,
			errHas: []string{"s390x"}, reason: "vendor_id IBM/S390"},
		{name: "truncated before flags", file: "truncated-before-flags.cpuinfo", wantErr: ErrTruncated,
			errHas: []string{"processor 2", "no \"flags\" line"}, reason: "last block cut before its flags line"},
		{name: "truncated inside flags", file: "truncated-in-flags.cpuinfo", wantErr: ErrTruncated,
			errHas: []string{"processor 1", "ends before"}, reason: "last block cut in its flags line, lacks later keys"},
		{name: "single block without flags", file: "truncated-single.cpuinfo", wantErr: ErrNoFlags,
			reason: "one x86 block and no flags at all"},
		{name: "truncated lscpu -J", file: "truncated.lscpu.json", wantErr: ErrTruncated,
			errHas: []string{"invalid JSON"}, reason: "JSON cut short"},
		{name: "JSON that is not lscpu", file: "other.json", wantErr: ErrUnknownFormat,
			errHas: []string{"\"lscpu\" array"}, reason: "no lscpu key"},
		{name: "garbage", file: "garbage.bin", wantErr: ErrUnknownFormat, reason: "binary junk"},
		{name: "empty", file: "empty.txt", wantErr: ErrEmpty, reason: "zero bytes"},
		{name: "blank", file: "blank.txt", wantErr: ErrEmpty, reason: "only white space"},
		{name: "empty with explicit format", file: "empty.txt", format: FormatLscpu, wantErr: ErrEmpty, reason: "every parser rejects empty input"},
		{name: "flag list with a bad line", file: "bad-line.flags", wantErr: ErrInvalidFlag,
			errHas: []string{"line 3", "Flags:"}, reason: "line 3 is not a flag token"},
		{name: "flag list with two tokens on a line", file: "two-tokens.flags", wantErr: ErrInvalidFlag,
			errHas: []string{"line 2", "one flag per line"}, reason: "one flag per line"},
		{name: "cpuinfo given as lscpu", file: "zhaoxin.cpuinfo", format: FormatLscpu, wantErr: ErrNoFlags,
			errHas: []string{"looks like cpuinfo"}, reason: "explicit wrong format hints at the detected one"},
		{name: "unknown format name", file: "zhaoxin.cpuinfo", format: "xml", wantErr: ErrUnknownFormat,
			errHas: []string{"lscpu-json"}, reason: "lists valid names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", "input", tt.file)
			got, err := ReadFile(path, tt.format)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v (%s)", err, tt.wantErr, tt.reason)
				}
				if got != nil {
					t.Errorf("got a CPU with an error: %+v", got)
				}
				msg := err.Error()
				for _, s := range append(tt.errHas, path) {
					if !strings.Contains(msg, s) {
						t.Errorf("error %q does not contain %q", msg, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadFile: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CPU mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name, in string
		want     Format
		wantErr  error
		reason   string
	}{
		{"cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n", FormatCPUInfo, nil, "lower-case cpuinfo keys"},
		{"aarch64 cpuinfo", "processor\t: 0\nBogoMIPS\t: 50.00\n", FormatCPUInfo, nil, "rejected later as not x86"},
		{"lscpu", "Architecture:  x86_64\nFlags:  fpu\n", FormatLscpu, nil, "capitalised lscpu keys"},
		{"lscpu with prompt", "$ lscpu\nArchitecture:  x86_64\n", FormatLscpu, nil, "prompt line skipped"},
		{"json", "  \n{\"lscpu\": []}", FormatLscpuJSON, nil, "leading blanks before {"},
		{"flag list", "# c\n fpu\n vme\n", FormatFlagList, nil, "comment then tokens"},
		{"one-line flags", "fpu vme de\n", "", ErrUnknownFormat, "several tokens on a line is no format"},
		{"prose", "hello world: this is text\n", "", ErrUnknownFormat, "unknown key"},
		{"empty", "", "", ErrEmpty, "nothing"},
		{"white space", " \n\t\r\n", "", ErrEmpty, "nothing but blanks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("Detect = %q, %v; want %q, %v (%s)", got, err, tt.want, tt.wantErr, tt.reason)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
		reason  string
	}{
		{"", "", false, "empty means detect"},
		{"auto", "", false, "auto means detect"},
		{"cpuinfo", FormatCPUInfo, false, "exact name"},
		{"LSCPU", FormatLscpu, false, "case-insensitive"},
		{" lscpu-json ", FormatLscpuJSON, false, "blanks trimmed"},
		{"flags", FormatFlagList, false, "flag list"},
		{"json", "", true, "not a format name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("ParseFormat(%q) = %q, %v (%s)", tt.in, got, err, tt.reason)
			}
			if err != nil {
				if !errors.Is(err, ErrUnknownFormat) {
					t.Errorf("err %v is not ErrUnknownFormat", err)
				}
				for _, name := range []string{"auto", "cpuinfo", "lscpu", "lscpu-json", "flags"} {
					if !strings.Contains(err.Error(), name) {
						t.Errorf("error %q does not list %q", err, name)
					}
				}
			}
		})
	}
}

func TestHostDirAndReadLive(t *testing.T) {
	root := t.TempDir()
	if got, want := HostDir(root).Path("proc", "cpuinfo"), filepath.Join(root, "proc", "cpuinfo"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	if got := HostDir("").Path("/proc/cpuinfo"); got != "/proc/cpuinfo" {
		t.Errorf("empty HostDir Path = %q, want /proc/cpuinfo", got)
	}
	if got := HostDir("/host").Path("/proc/cpuinfo"); got != "/host/proc/cpuinfo" {
		t.Errorf("Path with absolute elem = %q, want /host/proc/cpuinfo", got)
	}

	_, err := ReadLive(HostDir(root))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "proc", "cpuinfo")) {
		t.Errorf("ReadLive on a missing file: err = %v, want one naming the path", err)
	}

	data, err := os.ReadFile(filepath.Join("testdata", "input", "multi-cpu-differ.cpuinfo"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "proc", "cpuinfo"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cpu, err := ReadLive(HostDir(root))
	if err != nil {
		t.Fatalf("ReadLive: %v", err)
	}
	if cpu.Format != FormatCPUInfo || cpu.LogicalCPUs != 4 || !cpu.FlagsDiffer {
		t.Errorf("ReadLive = format %q, %d CPUs, differ %v; want cpuinfo, 4, true", cpu.Format, cpu.LogicalCPUs, cpu.FlagsDiffer)
	}
}

func TestReadLiveHost(t *testing.T) {
	if _, err := os.Stat("/proc/cpuinfo"); err != nil {
		t.Skip("no /proc/cpuinfo on this machine")
	}
	cpu, err := ReadLive(HostDir("/"))
	if errors.Is(err, ErrNotX86) {
		t.Skipf("not an x86 machine: %v", err)
	}
	if err != nil {
		t.Fatalf("ReadLive(/): %v", err)
	}
	if len(cpu.Flags) == 0 || cpu.LogicalCPUs == 0 {
		t.Errorf("live CPU has %d flags, %d CPUs", len(cpu.Flags), cpu.LogicalCPUs)
	}
}

func TestJoinWrappedPlainConcatenation(t *testing.T) {
	// Widths 17, 13, 11: "d"+"e" is a mid-word wrap of a full-width line
	// (plain concatenation); the 13-wide line is shorter than the widest
	// non-last line, so it lost a trailing blank and "pse" and "tsc" stay apart.
	in := "Flags:  fpu vme d\n        e pse\n        tsc\n"
	cpu, err := Parse([]byte(in), FormatLscpu)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"de", "fpu", "pse", "tsc", "vme"}; !cmp.Equal(cpu.Flags, want) {
		t.Errorf("Flags = %v, want %v", cpu.Flags, want)
	}
	in = "Flags:  fpu vme\n        de pse\n"
	// Only one continuation: no width to compare against, plain concatenation.
	cpu, err = Parse([]byte(in), FormatLscpu)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fpu", "pse", "vmede"}; !cmp.Equal(cpu.Flags, want) {
		t.Errorf("Flags = %v, want %v", cpu.Flags, want)
	}
}
