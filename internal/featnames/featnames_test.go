package featnames

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvm-migration/cpuflags/internal/featnames/internal/gentable"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestGeneratedTableUpToDate(t *testing.T) {
	want, err := gentable.Generate(refdata.MustFind(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zz_generated_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zz_generated_table.go is stale: run go generate ./internal/featnames")
	}
}

func TestLibvirtName(t *testing.T) {
	tests := []struct {
		linux, want string
		ok          bool
		reason      string
	}{
		{"sse4_1", "sse4.1", true, "required rename: libvirt uses a dot"},
		{"sse4_2", "sse4.2", true, "research table"},
		{"pclmulqdq", "pclmuldq", true, "required rename: libvirt's odd spelling"},
		{"tsc_deadline_timer", "tsc-deadline", true, "required rename"},
		{"avx512_vnni", "avx512vnni", true, "no hyphen in libvirt"},
		{"cqm_mbm_total", "mbm_total", true, "scattered bit joins by CPUID position"},
		{"cqm_mbm_local", "mbm_local", true, "research table"},
		{"dts", "ds", true, "research table (host-only, but the name joins)"},
		{"ds_cpl", "ds_cpl", true, "research table"},
		{"tsc_adjust", "tsc_adjust", true, "research table"},
		{"cqm", "cmt", true, "research table"},
		{"sha_ni", "sha-ni", true, "research table"},
		{"intel_pt", "intel-pt", true, "research table"},
		{"avx512_vbmi2", "avx512vbmi2", true, "research table"},
		{"avx512_bitalg", "avx512bitalg", true, "research table"},
		{"avx512_vpopcntdq", "avx512-vpopcntdq", true, "research table"},
		{"avx512_4vnniw", "avx512-4vnniw", true, "research table"},
		{"avx512_4fmaps", "avx512-4fmaps", true, "research table"},
		{"avx512_vp2intersect", "avx512-vp2intersect", true, "research table"},
		{"avx512_bf16", "avx512-bf16", true, "research table"},
		{"avx512_fp16", "avx512-fp16", true, "research table"},
		{"avx_vnni", "avx-vnni", true, "research table"},
		{"amx_bf16", "amx-bf16", true, "research table"},
		{"amx_tile", "amx-tile", true, "research table"},
		{"amx_int8", "amx-int8", true, "research table"},
		{"md_clear", "md-clear", true, "research table"},
		{"arch_capabilities", "arch-capabilities", true, "research table"},
		{"flush_l1d", "flush-l1d", true, "research table"},
		{"tsxldtrk", "tsx-ldtrk", true, "research table"},
		{"arch_lbr", "arch-lbr", true, "research table"},
		{"sgx_lc", "sgxlc", true, "research table"},
		{"bus_lock_detect", "bus-lock-detect", true, "research table"},
		{"cr8_legacy", "cr8legacy", true, "research table"},
		{"lahf_lm", "lahf_lm", true, "research table"},
		{"cmp_legacy", "cmp_legacy", true, "research table"},
		{"fxsr_opt", "fxsr_opt", true, "research table"},
		{"nodeid_msr", "nodeid_msr", true, "research table"},
		{"perfctr_core", "perfctr_core", true, "research table"},
		{"perfctr_nb", "perfctr_nb", true, "research table"},
		{"svm_lock", "svm-lock", true, "research table"},
		{"nrip_save", "nrip-save", true, "research table"},
		{"tsc_scale", "tsc-scale", true, "research table"},
		{"vmcb_clean", "vmcb-clean", true, "research table"},
		{"pausefilter", "pause-filter", true, "research table"},
		{"v_vmsave_vmload", "v-vmsave-vmload", true, "research table"},
		{"virt_ssbd", "virt-ssbd", true, "research table"},
		{"spec_ctrl", "spec-ctrl", true, "old-kernel name of the Intel SPEC_CTRL CPUID bit"},
		{"intel_stibp", "stibp", true, "old-kernel name of the Intel STIBP CPUID bit"},
		{"srso_user_kernel_no", "srso-user-kernel-no", true, "newer kernels show this hidden 6.12 bit"},
		{"split_lock_detect", "", false, "MSR-derived, not a 1:1 join"},
		{"ibrs", "", false, "kernel-derived: vendor decides"},
		{"constant_tsc", "", false, "kernel-synthetic"},
		{"no_such_flag", "", false, "unknown"},
	}
	tab := Builtin()
	for _, tc := range tests {
		t.Run(tc.linux, func(t *testing.T) {
			got, ok := tab.LibvirtName(tc.linux)
			if got != tc.want || ok != tc.ok {
				t.Errorf("LibvirtName(%q) = %q, %v; want %q, %v (%s)", tc.linux, got, ok, tc.want, tc.ok, tc.reason)
			}
		})
	}
}

func TestIsLinuxOnly(t *testing.T) {
	tests := []struct {
		flag   string
		want   Reason
		reason string
	}{
		{"constant_tsc", ReasonSynthetic, "research: TSC state"},
		{"rep_good", ReasonSynthetic, "research"},
		{"nopl", ReasonSynthetic, "research"},
		{"xtopology", ReasonSynthetic, "research"},
		{"ibrs", ReasonKernelDerived, "word 7"},
		{"ibpb", ReasonKernelDerived, "word 7"},
		{"stibp", ReasonKernelDerived, "word 7"},
		{"ssbd", ReasonKernelDerived, "word 7"},
		{"nonstop_tsc", ReasonNotMigratable, "invtsc"},
		{"dts", ReasonHostOnly, "KVM mask"},
		{"acpi", ReasonHostOnly, "KVM mask"},
		{"ht", ReasonHostOnly, "topology"},
		{"tm", ReasonHostOnly, "KVM mask"},
		{"tm2", ReasonHostOnly, "KVM mask"},
		{"pbe", ReasonHostOnly, "KVM mask"},
		{"est", ReasonHostOnly, "KVM mask"},
		{"smx", ReasonHostOnly, "KVM mask"},
		{"dtes64", ReasonHostOnly, "KVM mask"},
		{"xtpr", ReasonHostOnly, "KVM mask"},
		{"dca", ReasonHostOnly, "KVM mask"},
		{"monitor", ReasonHostOnly, "not advertised by KVM"},
		{"osxsave", ReasonOSState, "CR4"},
		{"ospke", ReasonOSState, "CR4"},
		{"hypervisor", ReasonOSState, "guest marker"},
		{"tpr_shadow", ReasonVirtCapability, "VMX MSR"},
		{"flexpriority", ReasonVirtCapability, "VMX MSR"},
		{"ept", ReasonVirtCapability, "VMX MSR"},
		{"vpid", ReasonVirtCapability, "VMX MSR"},
		{"ept_ad", ReasonVirtCapability, "VMX MSR"},
		{"vmmcall", ReasonVirtCapability, "hypercall choice"},
		{"pti", ReasonMitigation, "mitigation"},
		{"retpoline", ReasonMitigation, "old kernel mitigation"},
		{"retpoline_amd", ReasonMitigation, "old kernel mitigation"},
		{"ibpb_exit_to_user", ReasonMitigation, "new kernel mitigation"},
		{"invpcid_single", ReasonMitigation, "old kernel PTI detail"},
		{"eagerfpu", ReasonSynthetic, "old kernel"},
		{"perfctr_l2", ReasonNoLibvirtFeature, "old name of perfctr_llc"},
		{"amd_ibpb_ret", ReasonNoLibvirtFeature, "new kernel, no libvirt name"},
		{"cat_l3", ReasonHostOnly, "RDT"},
		{"hwp", ReasonHostOnly, "power management"},
		{"mwaitx", ReasonNoLibvirtFeature, "CPUID bit libvirt lacks"},
		{"rng", ReasonNoLibvirtFeature, "QEMU-only name"},
		{"brand_new_flag", ReasonUnknown, "not in any table"},
	}
	tab := Builtin()
	for _, tc := range tests {
		t.Run(tc.flag, func(t *testing.T) {
			e, ok := tab.IsLinuxOnly(tc.flag)
			if !ok || e.Reason != tc.want || e.Detail == "" || e.Flag != tc.flag {
				t.Errorf("IsLinuxOnly(%q) = %+v, %v; want reason %s with a detail (%s)", tc.flag, e, ok, tc.want, tc.reason)
			}
		})
	}
	if e, ok := tab.IsLinuxOnly("avx2"); ok {
		t.Errorf("IsLinuxOnly(avx2) = %+v, want not Linux-only", e)
	}
}

type tsvFile struct {
	cols map[string]int
	rows [][]string
}

func readTSV(t *testing.T, path string) tsvFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := tsvFile{cols: map[string]int{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cells := strings.Split(line, "\t")
		if len(out.cols) == 0 {
			for i, c := range cells {
				out.cols[c] = i
			}
			continue
		}
		out.rows = append(out.rows, cells)
	}
	return out
}

func (f tsvFile) get(row []string, col string) string {
	i, ok := f.cols[col]
	if !ok || i >= len(row) {
		return ""
	}
	return row[i]
}

// Every visible Linux 6.12 flag is either translated or excluded with a reason.
func TestEveryVisibleFlagClassified(t *testing.T) {
	lf := readTSV(t, refdata.Path(t, "linux_cpufeatures.tsv"))
	tab := Builtin()
	n := 0
	for _, r := range lf.rows {
		name := lf.get(r, "procname")
		if lf.get(r, "visible") != "yes" || name == "" {
			continue
		}
		n++
		tr := tab.Translate([]string{name}, "")
		switch {
		case len(tr.Features) == 1 && len(tr.Excluded) == 0:
		case len(tr.Features) == 0 && len(tr.Excluded) == 1 && tr.Excluded[0].Reason != "" && tr.Excluded[0].Reason != ReasonUnknown && tr.Excluded[0].Detail != "":
		default:
			t.Errorf("flag %s: translation %+v is neither one feature nor one explained exclusion", name, tr)
		}
	}
	if n < 250 {
		t.Fatalf("only %d visible flags read; reference data changed?", n)
	}
}

// The table agrees with a join computed here straight from name_map.tsv.
func TestIndependentJoin(t *testing.T) {
	nm := readTSV(t, refdata.Path(t, "name_map.tsv"))
	tab := Builtin()
	checked := 0
	for _, r := range nm.rows {
		ln, lv := nm.get(r, "linux_name"), nm.get(r, "libvirt_name")
		if ln == "" || lv == "" {
			continue
		}
		checked++
		got, ok := tab.LibvirtName(ln)
		if !ok || got != lv {
			t.Errorf("LibvirtName(%s) = %q, %v; name_map.tsv joins it to %s", ln, got, ok, lv)
		}
		if c, ok := tab.Canonical(ln); !ok || c != lv {
			t.Errorf("Canonical(%s) = %q, %v; want %s", ln, c, ok, lv)
		}
		if q := nm.get(r, "qemu_name"); q != "" {
			if c, ok := tab.Canonical(q); !ok || (c != lv && c != q) {
				t.Errorf("Canonical(QEMU %s) = %q, %v; want %s", q, c, ok, lv)
			}
		}
	}
	if checked < 150 {
		t.Fatalf("only %d joined rows checked", checked)
	}
}

func TestTranslateDerived(t *testing.T) {
	tests := []struct {
		name     string
		flags    []string
		vendor   string
		features []string
		derived  []string
		reason   string
	}{
		{"intel-spec", []string{"ibrs", "ibpb", "stibp", "ssbd", "ibrs_enhanced"}, "Intel", []string{"ibrs-all", "spec-ctrl", "ssbd", "stibp"}, []string{"ibrs-all", "spec-ctrl", "ssbd", "stibp"}, "Intel bits in leaf 7 EDX"},
		{"intel-virt-ssbd", []string{"ssbd", "virt_ssbd"}, "Intel", []string{"virt-ssbd"}, nil, "ssbd may come from virt_ssbd"},
		{"amd-spec", []string{"ibrs", "ibpb", "stibp", "ssbd", "ibrs_enhanced"}, "AMD", []string{"amd-stibp", "auto-ibrs", "ibpb", "ibrs"}, []string{"amd-stibp", "auto-ibrs", "ibpb", "ibrs"}, "AMD bits in 0x80000008; ssbd ambiguous"},
		{"amd-virt-ssbd", []string{"ssbd", "virt_ssbd"}, "AMD", []string{"virt-ssbd"}, nil, "virt_ssbd maps itself"},
		{"hygon-ibpb", []string{"ibpb"}, "Hygon", []string{"ibpb"}, []string{"ibpb"}, "Hygon C86 uses the AMD bit (cputestdata)"},
		{"unknown-vendor", []string{"ibrs", "ibpb", "stibp", "ssbd"}, "", []string{}, nil, "vendor unknown: nothing derived"},
	}
	tab := Builtin()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := tab.Translate(tc.flags, tc.vendor)
			if diff := cmp.Diff(tc.features, tr.Features); diff != "" {
				t.Errorf("%s: features (-want +got):\n%s", tc.reason, diff)
			}
			var got []string
			for _, d := range tr.Derived {
				got = append(got, d.Feature)
				if len(d.From) == 0 || d.Detail == "" {
					t.Errorf("derivation %+v lacks From/Detail", d)
				}
			}
			if diff := cmp.Diff(tc.derived, got); diff != "" {
				t.Errorf("%s: derived (-want +got):\n%s", tc.reason, diff)
			}
			for _, e := range tr.Excluded {
				if e.Flag != "virt_ssbd" && e.Reason != ReasonKernelDerived {
					t.Errorf("%s excluded as %s, want kernel-derived", e.Flag, e.Reason)
				}
			}
		})
	}
}

func TestTranslateInvariants(t *testing.T) {
	tr := Builtin().Translate([]string{"sse4_1", " SSE4_1 ", "", "dts", "nonstop_tsc", "xsaves", "zz_new"}, "Intel")
	want := Translation{
		Features: []string{"sse4.1", "xsaves"},
		Excluded: []Exclusion{
			{Flag: "dts", Reason: ReasonHostOnly},
			{Flag: "nonstop_tsc", Reason: ReasonNotMigratable},
			{Flag: "zz_new", Reason: ReasonUnknown},
		},
	}
	if diff := cmp.Diff(want, tr, cmp.Comparer(func(a, b Exclusion) bool { return a.Flag == b.Flag && a.Reason == b.Reason })); diff != "" {
		t.Errorf("Translate (-want +got):\n%s", diff)
	}
}

func TestGuestableMigratable(t *testing.T) {
	tab := Builtin()
	tests := []struct {
		name       string
		guestable  bool
		migratable bool
		reason     string
	}{
		{"avx2", true, true, "ordinary feature"},
		{"invtsc", false, false, "migratable='no', QEMU blocks migration"},
		{"xsaves", true, false, "migratable='no' but in libvirt's own models (EPYC-Rome...)"},
		{"ds", false, true, "host-only"},
		{"monitor", false, true, "host-only"},
		{"osxsave", false, true, "os-state"},
		{"cmt", false, true, "libvirt filters it from host-model"},
		{"no-such", false, false, "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, e := tab.Guestable(tc.name)
			if g != tc.guestable || (!g && (e.Reason == "" || e.Detail == "")) {
				t.Errorf("Guestable(%s) = %v, %+v; want %v (%s)", tc.name, g, e, tc.guestable, tc.reason)
			}
			if m := tab.Migratable(tc.name); m != tc.migratable {
				t.Errorf("Migratable(%s) = %v, want %v (%s)", tc.name, m, tc.migratable, tc.reason)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	tab := Builtin()
	tests := []struct{ in, want, reason string }{
		{"pclmuldq", "pclmuldq", "libvirt name"},
		{"pclmulqdq", "pclmuldq", "QEMU/Linux name"},
		{"sse3", "pni", "libvirt alias"},
		{"SSE4_1", "sse4.1", "Linux name, any case"},
		{"sse4-1", "sse4.1", "QEMU alias"},
		{"tsc_deadline", "tsc-deadline", "underscore fallback"},
		{"ibrs", "ibrs", "libvirt name wins over the Linux kernel-derived flag"},
		{"dts", "ds", "Linux name of a host-only feature still canonicalizes"},
		{"cqm", "cmt", "libvirt alias (linux)"},
		{"vmx-invept-single-context", "vmx-invept-single-context", "libvirt name wins over a QEMU alias of another feature"},
	}
	for _, tc := range tests {
		if got, ok := tab.Canonical(tc.in); !ok || got != tc.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q (%s)", tc.in, got, ok, tc.want, tc.reason)
		}
	}
	for _, bad := range []string{"", "  ", "constant_tsc", "nonsense"} {
		if got, ok := tab.Canonical(bad); ok {
			t.Errorf("Canonical(%q) = %q, want not found", bad, got)
		}
	}
}

func TestWithLibvirtFeatures(t *testing.T) {
	tab := Builtin().WithLibvirtFeatures([]string{"sse4.1", "spec-ctrl", "avx2"}, "libvirt 9.0.0 on this host")
	tr := tab.Translate([]string{"sse4_1", "avx512_fp16", "ibrs", "stibp"}, "Intel")
	if diff := cmp.Diff([]string{"spec-ctrl", "sse4.1"}, tr.Features); diff != "" {
		t.Errorf("features (-want +got):\n%s", diff)
	}
	var fp16 *Exclusion
	for i := range tr.Excluded {
		if tr.Excluded[i].Flag == "avx512_fp16" {
			fp16 = &tr.Excluded[i]
		}
	}
	if fp16 == nil || fp16.Reason != ReasonUnknown || !strings.Contains(fp16.Detail, "libvirt 9.0.0 on this host") {
		t.Errorf("avx512_fp16 exclusion = %+v, want unknown naming the source", fp16)
	}
	if tab.Known("avx512-fp16") || !tab.Known("avx2") || !Builtin().Known("avx512-fp16") {
		t.Error("Known does not follow the host list")
	}
	if _, ok := tab.Canonical("avx512_fp16"); ok {
		t.Error("Canonical accepted a feature the host's libvirt lacks")
	}
	if !strings.Contains(tab.Source(), "libvirt 9.0.0") || Builtin().Source() == "" {
		t.Errorf("Source() = %q", tab.Source())
	}
}

var flagsLine = regexp.MustCompile(`(?mi)^flags\s*:\s*(.*)$`)

// sampleFlags is a crude extraction of the flags of a reference sample.
func sampleFlags(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".json") {
		var doc struct {
			Lscpu []struct{ Field, Data string } `json:"lscpu"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, e := range doc.Lscpu {
			if strings.HasPrefix(e.Field, "Flags") {
				return strings.Fields(e.Data)
			}
		}
		t.Fatalf("%s: no Flags field", path)
	}
	m := flagsLine.FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no flags line", path)
	}
	return strings.Fields(string(m[1]))
}

func TestTranslateGolden(t *testing.T) {
	samples := []struct{ file, vendor string }{
		{"intel-xeon-platinum-8480plus-sapphirerapids.cpuinfo", "Intel"},
		{"intel-xeon-e5-2680v3-haswell-ep.cpuinfo", "Intel"},
		{"amd-epyc-9654-genoa.cpuinfo", "AMD"},
		{"amd-epyc-7r13-milan-awsvm.lscpu.json", "AMD"},
		{"amd-opteron-6212-bulldozer.cpuinfo", "AMD"},
	}
	tab := Builtin()
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			flags := sampleFlags(t, refdata.Path(t, "samples", s.file))
			tr := tab.Translate(flags, s.vendor)
			got, err := json.MarshalIndent(tr, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "translate", s.file+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Translate(%s) differs from %s (-want +got):\n%s", s.file, golden, diff)
			}
			seen := map[string]bool{}
			for _, e := range tr.Excluded {
				seen[e.Flag] = true
			}
			nFeat := 0
			for _, f := range flags {
				if _, ok := tab.LibvirtName(f); ok && !seen[f] {
					nFeat++
				}
				if _, ok := tab.LibvirtName(f); !ok && !seen[f] {
					t.Errorf("flag %s neither mapped nor excluded", f)
				}
			}
		})
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"pclmulqdq", "sse4_1", "SSE4.1", "tsc_deadline", "vmx-invept", "-", "_", "", "ibrs", "\x00", "ß"} {
		f.Add(s)
	}
	tab := Builtin()
	f.Fuzz(func(t *testing.T, s string) {
		lv, ok := tab.Canonical(s)
		if !ok {
			if lv != "" {
				t.Fatalf("Canonical(%q) = %q with ok=false", s, lv)
			}
			return
		}
		if !tab.Known(lv) {
			t.Fatalf("Canonical(%q) = %q, not a known libvirt feature", s, lv)
		}
		if again, ok := tab.Canonical(lv); !ok || again != lv {
			t.Fatalf("Canonical not idempotent: %q -> %q -> %q", s, lv, again)
		}
	})
}

func TestVNMICollision(t *testing.T) {
	tab := Builtin()
	if tr := tab.Translate([]string{"vnmi"}, "Intel"); len(tr.Features) != 0 || len(tr.Excluded) != 1 || tr.Excluded[0].Reason != ReasonVirtCapability {
		t.Errorf("Intel vnmi (old VMX flag) = %+v, want virt-capability exclusion", tr)
	}
	if tr := tab.Translate([]string{"vnmi"}, "AMD"); len(tr.Features) != 1 || tr.Features[0] != "vnmi" {
		t.Errorf("AMD vnmi (SVM bit) = %+v, want feature vnmi", tr)
	}
}
