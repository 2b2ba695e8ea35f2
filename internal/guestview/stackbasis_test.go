package guestview

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func TestResolveStack(t *testing.T) {
	for _, c := range []struct {
		name        string
		flags       []string
		opts        Options
		want        Stack
		linux, qemu string
		reasonPart  string
	}{
		{"nothing known", []string{"fpu", "sse2"}, Options{}, DefaultStack, OriginDefault, OriginDefault, "the default"},
		{"given wins", []string{"amx_tile"}, Options{Stack: Stack{Linux: "5.10", QEMU: "7.2"}, Measured: Stack{Linux: "6.1.0-18-amd64", QEMU: "8.2.0"}},
			Stack{Linux: "5.10", QEMU: "7.2"}, OriginGiven, OriginGiven, "the capture disagrees"},
		{"stated unknown", []string{"amx_tile"}, Options{Stack: Stack{Linux: StackUnknown, QEMU: StackUnknown}}, Stack{Linux: StackUnknown, QEMU: StackUnknown}, OriginUnknown, OriginUnknown, "stated unknown"},
		{"measured", nil, Options{Measured: Stack{Linux: "6.1.0-18-amd64", QEMU: "7.2.19"}}, Stack{Linux: "6.1.0-18-amd64", QEMU: "7.2.19"}, OriginMeasured, OriginMeasured, "the running kernel's release"},
		{"inferred newer than the default", []string{"fpu", "amx_tile", "avx512_fp16"}, Options{}, Stack{Linux: "5.17", QEMU: DefaultStack.QEMU}, OriginInferred, OriginDefault, "amx_tile, a name Linux prints since 5.17"},
		{"inferred older than the default", []string{"fpu", "eagerfpu"}, Options{}, Stack{Linux: StackUnknown, QEMU: DefaultStack.QEMU}, OriginUnknown, OriginDefault, "older than the default"},
		{"vendor kernel", []string{"eagerfpu", "rdt_a"}, Options{}, Stack{Linux: StackUnknown, QEMU: DefaultStack.QEMU}, OriginUnknown, OriginDefault, "vendor kernel"},
		{"lower bound below the default", []string{"fsrm"}, Options{}, DefaultStack, OriginDefault, OriginDefault, "fsrm, a name Linux prints since 5.6"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, b := ResolveStack(c.flags, c.opts)
			if st != c.want || b.Linux != c.linux || b.QEMU != c.qemu || !strings.Contains(b.Reason, c.reasonPart) {
				t.Errorf("ResolveStack(%v, %+v) = %+v %+v, want %+v linux %s qemu %s reason with %q", c.flags, c.opts, st, b, c.want, c.linux, c.qemu, c.reasonPart)
			}
			v := Predict(Host{Vendor: VendorIntel, Features: []string{"sse2"}, LinuxFlags: c.flags}, c.opts)
			if v.Options.Stack != st || !reflect.DeepEqual(v.StackBasis, b) || v.StackAssumed != (b.Linux == OriginDefault || b.QEMU == OriginDefault) {
				t.Errorf("Predict used %+v %+v assumed=%v", v.Options.Stack, v.StackBasis, v.StackAssumed)
			}
		})
	}
}

// TestKernelNamesBounds pins the bounds of a few names read from the
// headers (amx_tile first printed by 5.17, eagerfpu last by 3.10).
func TestKernelNamesBounds(t *testing.T) {
	for _, c := range []struct{ name, min, below string }{
		{"amx_tile", "5.17", ""}, {"avx512_fp16", "5.11", ""}, {"eagerfpu", "", "4.4"}, {"invpcid_single", "", "6.6"},
		{"fpu", "", ""}, {"md_clear", "", ""},
	} {
		if n := kernelNames[c.name]; n.minLinux != c.min || n.belowLinux != c.below {
			t.Errorf("%s: min %q below %q, want %q %q", c.name, n.minLinux, n.belowLinux, c.min, c.below)
		}
	}
}

// TestKernelFromRHEL7Samples: the reference samples captured on RHEL 7 and
// CentOS 7 (archspec's linux-rhel7-* and linux-centos7-* targets, kernel
// 3.10 with backports) must not be taken for the default kernel.
func TestKernelFromRHEL7Samples(t *testing.T) {
	dir := filepath.Join(refdata.MustFind(t), "samples")
	index, err := os.ReadFile(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(index), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) < 3 || !strings.Contains(cols[2], "rhel7") && !strings.Contains(cols[2], "centos7") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, cols[0]))
		if err != nil {
			t.Fatal(err)
		}
		var flags []string
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "flags" {
				flags = strings.Fields(v)
				break
			}
		}
		if len(flags) == 0 {
			t.Fatalf("%s: no flags line", cols[0])
		}
		n++
		st, b2 := ResolveStack(flags, Options{})
		if st.Linux != StackUnknown || b2.Kernel == nil || b2.Kernel.Below == "" {
			t.Errorf("%s (%s): resolved Linux %s (%s); a RHEL 7 kernel must not pass for %s", cols[0], cols[2], st.Linux, b2.Reason, DefaultStack.Linux)
		}
	}
	if n < 4 {
		t.Fatalf("only %d RHEL 7/CentOS 7 samples; the index changed?", n)
	}
}

func TestKernelNamesParse(t *testing.T) {
	if len(kernelNames) < 250 {
		t.Fatalf("kernelnames.tsv has %d names", len(kernelNames))
	}
	for name, n := range kernelNames {
		for _, v := range []string{n.minLinux, n.belowLinux} {
			if v != "" && !ValidVersion(v) {
				t.Errorf("%s: bad version %q", name, v)
			}
		}
		if n.minLinux != "" && n.belowLinux != "" && !newer(n.belowLinux, n.minLinux) {
			t.Errorf("%s: printed from %s but only below %s", name, n.minLinux, n.belowLinux)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a malformed line must panic (generated data)")
		}
	}()
	parseKernelNames("name\tfirst\tlast\tkind\tmin_linux\tbelow_linux\nbroken\tline\n")
}
