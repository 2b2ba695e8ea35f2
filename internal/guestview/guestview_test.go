package guestview

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func intp(n int) *int { return &n }

func find(ds []Decision, f string) (Decision, bool) {
	for _, d := range ds {
		if d.Feature == f {
			return d, true
		}
	}
	return Decision{}, false
}

func has(list []string, s string) bool { return contains(list, s) }

func TestPredictDropsHostOnlyAndUnknown(t *testing.T) {
	v := Predict(Host{Vendor: VendorAMD, Features: []string{"sse2", "extapic", "ibs", "monitor", "invtsc", "made-up-feature"}}, Options{})
	if !has(v.Features, "sse2") {
		t.Errorf("sse2 passes through; got %v", v.Features)
	}
	for _, f := range []string{"extapic", "ibs", "monitor", "invtsc", "made-up-feature"} {
		if has(v.Features, f) {
			t.Errorf("%s must not be predicted", f)
		}
		d, ok := find(v.Dropped, f)
		if !ok || d.Reason == "" {
			t.Errorf("%s: dropped without a reason: %+v", f, d)
		}
	}
	if d, _ := find(v.Dropped, "made-up-feature"); d.Rule != "allowlist" {
		t.Errorf("an unknown feature is dropped by the allowlist, got rule %q", d.Rule)
	}
}

func TestPredictAddsEmulated(t *testing.T) {
	v := Predict(Host{Vendor: VendorIntel, Features: []string{"sse2"}}, Options{Stack: Stack{Linux: StackUnknown, QEMU: StackUnknown}})
	for _, f := range []string{"hypervisor", "x2apic"} {
		d, ok := find(v.Added, f)
		if !ok || !has(v.Features, f) || d.Kind != KindEmulated {
			t.Errorf("%s should be added as emulated: %+v in %v", f, d, v.Features)
		}
	}
	if has(v.Features, "tsc_adjust") || has(v.Features, "arat") {
		t.Errorf("stack-dependent emulation added with an unknown stack: %v", v.Features)
	}
	def := Predict(Host{Vendor: VendorIntel, Features: []string{"sse2"}}, Options{})
	if !def.StackAssumed || def.Options.Stack != DefaultStack || !has(def.Features, "arat") || !has(def.Features, "arch-capabilities") {
		t.Errorf("default stack %+v assumed=%v: arat and arch-capabilities (emulated since Linux 5.2) expected: %v", def.Options.Stack, def.StackAssumed, def.Features)
	}
	if old := Predict(Host{Vendor: VendorIntel, Features: []string{"sse2"}}, Options{Stack: Stack{Linux: "5.0", QEMU: "5.2"}}); has(old.Features, "arch-capabilities") {
		t.Errorf("Linux 5.0 lists IA32_ARCH_CAPABILITIES only where the host has it; emulated arch-capabilities predicted: %v", old.Features)
	}
	cur := Predict(Host{Vendor: VendorIntel, Features: []string{"sse2"}}, Options{Stack: Stack{Linux: "6.16.1", QEMU: "10.1.0"}})
	for _, f := range []string{"tsc_adjust", "arat", "arch-capabilities", "tsc-deadline"} {
		if !has(cur.Features, f) {
			t.Errorf("with a current stack %s is emulated; got %v", f, cur.Features)
		}
	}
}

func TestNestedOnly(t *testing.T) {
	h := Host{Vendor: VendorAMD, Features: []string{"svm", "npt", "nrip-save", "sse2"}}
	off := Predict(h, Options{})
	for _, f := range []string{"svm", "npt", "nrip-save"} {
		d, ok := find(off.Dropped, f)
		if !ok || d.Kind != KindNested || !strings.Contains(d.Unless, "nested: true") {
			t.Errorf("%s without nested: %+v", f, d)
		}
	}
	on := Predict(h, Options{Nested: true})
	for _, f := range []string{"svm", "npt", "nrip-save"} {
		if !has(on.Features, f) || !has(on.NestedOnly, f) {
			t.Errorf("%s with nested: features %v nested-only %v", f, on.Features, on.NestedOnly)
		}
	}
	if !IsNestedOnly("vmx") || !IsNestedOnly("vmx-ept") || IsNestedOnly("sse2") {
		t.Error("IsNestedOnly")
	}
}

// TestSpecCtrlOnAMDByKernel: Intel's spec-ctrl is synthesized on AMD hosts
// with IBPB and IBRS from Linux 5.6 to 6.12; 6.13 requires AMD_IBPB_RET as
// well; before 5.6 KVM did not synthesize it. stibp and ssbd follow the
// host's AMD bits from 5.6 on, unchanged by 6.13.
func TestSpecCtrlOnAMDByKernel(t *testing.T) {
	h := Host{Vendor: VendorAMD, Features: []string{"ibpb", "ibrs", "amd-ssbd", "amd-stibp"}, LinuxFlags: []string{"ibpb", "ibrs", "stibp", "ssbd", "amd_ssbd"}}
	for _, c := range []struct {
		linux    string
		ibpbRet  bool
		specCtrl bool
		rule     string
		reason   string
	}{
		{"5.4", false, false, "", "Linux 5.3.1 has no synthesis and 5.4.0/5.5 were not read: not promised"},
		{"5.6", false, true, "spec-ctrl-amd-ibpb-ibrs", "the first release read with the IBPB && IBRS synthesis"},
		{"5.10", false, true, "spec-ctrl-amd-ibpb-ibrs", "the default stack"},
		{"6.12.95", false, true, "spec-ctrl-amd-ibpb-ibrs", "the stable 6.12 series kept the old condition"},
		{"6.13", false, false, "", "6.13 needs AMD_IBPB_RET, which this host does not show"},
		{"6.13", true, true, "spec-ctrl-amd", "6.13 with AMD_IBPB_RET"},
		{"6.16", true, true, "spec-ctrl-amd", "a current kernel with AMD_IBPB_RET"},
		{StackUnknown, true, false, "", "an unknown kernel promises no version-gated synthesis"},
	} {
		hh := h
		if c.ibpbRet {
			hh.LinuxFlags = append(append([]string{}, h.LinuxFlags...), "amd_ibpb_ret")
		}
		v := Predict(hh, Options{Stack: Stack{Linux: c.linux, QEMU: "10.1"}})
		d, ok := find(v.Added, "spec-ctrl")
		if ok != c.specCtrl || has(v.Features, "spec-ctrl") != c.specCtrl || (ok && (d.Rule != c.rule || d.Kind != KindSynthesized)) {
			t.Errorf("Linux %s, amd_ibpb_ret %v: spec-ctrl added %v by %q, want %v by %q (%s)", c.linux, c.ibpbRet, ok, d.Rule, c.specCtrl, c.rule, c.reason)
		}
		newEnough := c.linux != StackUnknown && atLeast(c.linux, "5.6")
		if has(v.Features, "stibp") != newEnough || has(v.Features, "ssbd") != newEnough {
			t.Errorf("Linux %s: stibp %v ssbd %v, want %v (synthesized from AMD's bits since 5.6, unchanged by 6.13)", c.linux, has(v.Features, "stibp"), has(v.Features, "ssbd"), newEnough)
		}
	}
	noIBRS := Host{Vendor: VendorAMD, Features: []string{"ibpb", "amd-ssbd"}, LinuxFlags: []string{"ibpb", "ssbd"}}
	if v := Predict(noIBRS, Options{}); has(v.Features, "spec-ctrl") || !has(v.Features, "ssbd") {
		t.Errorf("an AMD host without IBRS (Ryzen 9 3900X) gets ssbd but no spec-ctrl: %v", v.Features)
	}
}

// TestVersionGates checks gates read from the sources on both sides.
func TestVersionGates(t *testing.T) {
	for _, c := range []struct {
		host   Host
		stack  Stack
		feat   string
		want   bool
		reason string
	}{
		{Host{Vendor: VendorIntel, Features: []string{"stibp"}}, Stack{Linux: "4.20", QEMU: "5.2"}, "stibp", false, "4.20's 7.EDX mask lacks INTEL_STIBP"},
		{Host{Vendor: VendorIntel, Features: []string{"stibp"}}, Stack{Linux: "5.0", QEMU: "5.2"}, "stibp", true, "5.0 lists F(INTEL_STIBP)"},
		{Host{Vendor: VendorAMD, Family: intp(0x19), Features: []string{"xsaves"}}, Stack{Linux: "5.4", QEMU: "5.2"}, "xsaves", false, "kvm_amd gives XSAVES only since 5.6"},
		{Host{Vendor: VendorAMD, Family: intp(0x19), Features: []string{"xsaves"}}, Stack{Linux: "5.6", QEMU: "5.2"}, "xsaves", true, "svm_xsaves_supported() is true from 5.6"},
		{Host{Vendor: VendorIntel, Features: []string{"fsrm"}}, DefaultStack, "fsrm", true, "Linux 5.7 and QEMU 5.2: the default stack gives it"},
		{Host{Vendor: VendorIntel, Features: []string{"fsrm"}}, Stack{Linux: "5.10", QEMU: "5.0"}, "fsrm", false, "QEMU 5.0 does not know fsrm"},
		{Host{Vendor: VendorIntel, Features: []string{"avx512-fp16"}}, DefaultStack, "avx512-fp16", false, "needs Linux 5.11 and QEMU 6.2"},
		{Host{Vendor: VendorIntel, Features: []string{"avx512-fp16"}}, Stack{Linux: "5.15", QEMU: "6.2"}, "avx512-fp16", true, "Ubuntu 22.04-era stack"},
		{Host{Vendor: VendorIntel, Features: []string{"amx-tile"}}, Stack{Linux: "5.15", QEMU: "7.2"}, "amx-tile", false, "AMX needs Linux 5.17"},
		{Host{Vendor: VendorIntel, Features: []string{"amx-tile"}}, Stack{Linux: "6.1", QEMU: "7.2"}, "amx-tile", true, "Debian 12's stack gives AMX"},
		{Host{Vendor: VendorIntel, Features: []string{"flush-l1d"}}, Stack{Linux: "6.1", QEMU: "7.2"}, "flush-l1d", false, "FLUSH_L1D needs Linux 6.4 and QEMU 8.1"},
		{Host{Vendor: VendorAMD, Features: []string{"ibrs"}}, DefaultStack, "ibrs", false, "QEMU 5.2 has no name for AMD's IBRS"},
		{Host{Vendor: VendorAMD, Features: []string{"ibrs"}}, Stack{Linux: "5.10", QEMU: "6.2"}, "ibrs", true, "QEMU 6.2 names it"},
		{Host{Vendor: VendorAMD, Features: []string{"amd-psfd"}}, Stack{Linux: "6.1", QEMU: "7.2"}, "amd-psfd", false, "QEMU 7.2 has no name for PSFD"},
		{Host{Vendor: VendorAMD, Features: []string{"amd-ssbd"}, LinuxFlags: []string{"ssbd", "amd_ssbd"}}, Stack{Linux: "5.6", QEMU: "5.2"}, "virt-ssbd", false, "VIRT_SSBD for AMD_SSBD hosts only since 5.7"},
		{Host{Vendor: VendorAMD, Features: []string{"amd-ssbd"}, LinuxFlags: []string{"ssbd", "amd_ssbd"}}, Stack{Linux: "5.7", QEMU: "5.2"}, "virt-ssbd", true, "svm_set_cpu_caps sets VIRT_SSBD for AMD_SSBD"},
		{Host{Vendor: VendorAMD, LinuxFlags: []string{"ssbd"}}, Stack{Linux: "4.19", QEMU: "4.1"}, "virt-ssbd", true, "LS_CFG SSBD hosts (ssbd without amd_ssbd) since the oldest release read"},
	} {
		v := Predict(c.host, Options{Stack: c.stack})
		if has(v.Features, c.feat) != c.want {
			t.Errorf("%s on %+v: predicted %v, want %v (%s)", c.feat, c.stack, has(v.Features, c.feat), c.want, c.reason)
		}
	}
}

func TestTSXBrokenHaswell(t *testing.T) {
	feats := []string{"hle", "rtm", "avx2"}
	broken := Predict(Host{Vendor: VendorIntel, Family: intp(6), Model: intp(63), Stepping: intp(2), Features: feats}, Options{})
	if has(broken.Features, "hle") || has(broken.Features, "rtm") {
		t.Errorf("Haswell-EP stepping 2 has broken TSX (QEMU host_tsx_broken): %v", broken.Features)
	}
	fixed := Predict(Host{Vendor: VendorIntel, Family: intp(6), Model: intp(63), Stepping: intp(4), Features: feats}, Options{})
	if !has(fixed.Features, "hle") || !has(fixed.Features, "rtm") {
		t.Errorf("stepping 4 keeps TSX: %v", fixed.Features)
	}
}

func TestXSAVESZenErratum(t *testing.T) {
	h := Host{Vendor: VendorAMD, Family: intp(0x17), Model: intp(0x31), Features: []string{"xsaves", "xsave"}}
	v := Predict(h, Options{Stack: Stack{Linux: "6.16", QEMU: "10.1"}})
	if has(v.Features, "xsaves") {
		t.Errorf("family 0x17 xsaves: %v", v.Features)
	}
	h.Family = intp(0x19)
	if v := Predict(h, Options{Stack: Stack{Linux: "6.16", QEMU: "10.1"}}); !has(v.Features, "xsaves") {
		t.Errorf("family 0x19 on a current stack gets xsaves: %v", v.Features)
	}
}

func TestParameterOptions(t *testing.T) {
	h := Host{Vendor: VendorIntel, Features: []string{"pdcm", "intel-pt"}}
	v := Predict(h, Options{})
	if has(v.Features, "pdcm") || has(v.Features, "intel-pt") {
		t.Errorf("pdcm/intel-pt need pmu/pt: %v", v.Features)
	}
	v = Predict(h, Options{PMU: true, PT: true})
	if !has(v.Features, "pdcm") || !has(v.Features, "intel-pt") {
		t.Errorf("pmu and pt options: %v", v.Features)
	}
}

func TestRulesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range rules {
		if r.ID == "" || seen[r.ID] {
			t.Errorf("rule id %q empty or duplicate", r.ID)
		}
		seen[r.ID] = true
		if r.Reason == "" || r.Source == "" || len(r.Features) == 0 {
			t.Errorf("rule %s needs features, a reason and a source", r.ID)
		}
		for _, v := range []string{r.MinLinux, r.MinQEMU, r.BeforeLinux} {
			if v != "" && !ValidVersion(v) {
				t.Errorf("rule %s: bad version %q", r.ID, v)
			}
		}
		if r.Kind == KindParameter && r.Option != OptionPMU && r.Option != OptionPT {
			t.Errorf("rule %s: parameter rule without a known option", r.ID)
		}
	}
}

func TestRulesVersionFollowsTheRules(t *testing.T) {
	if !strings.HasPrefix(RulesVersion, "guestview/") || len(RulesVersion) != len("guestview/")+12 {
		t.Fatalf("RulesVersion %q", RulesVersion)
	}
	saved := rules[0].Reason
	rules[0].Reason += " (changed)"
	changed := rulesVersion()
	rules[0].Reason = saved
	if changed == RulesVersion || rulesVersion() != RulesVersion {
		t.Errorf("RulesVersion does not follow the rules: %s then %s", RulesVersion, changed)
	}
}

func TestAtLeast(t *testing.T) {
	for _, c := range []struct {
		have, want string
		ok         bool
	}{
		{"6.1.0-18-amd64", "6.1", true}, {"6.1", "6.10", false}, {"6.16", "6.10", true},
		{"10.1.0", "7.2", true}, {"7.2", "10.1", false}, {"", "4.20", false}, {"garbage", "1.0", false}, {"5", "4.20", true},
	} {
		if got := atLeast(c.have, c.want); got != c.ok {
			t.Errorf("atLeast(%q, %q) = %v, want %v", c.have, c.want, got, c.ok)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"6.1", "6.1.0-18-amd64", "10.1.0", "", ".", "1..2", "99999999999999999999.1", "7.2+dfsg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseVersion(s)
		if ok && (v[0] < 0 || v[1] < 0) {
			t.Fatalf("negative version %v from %q", v, s)
		}
		if ok != ValidVersion(s) {
			t.Fatal("ValidVersion disagrees with parseVersion")
		}
		if ok && !atLeast(s, s) {
			t.Fatalf("%q is not at least itself", s)
		}
	})
}

// TestGuestviewDocListsEveryGate holds docs/GUESTVIEW.md's table of gates
// equal to the rules: one row per version-gated rule, with its versions.
func TestGuestviewDocListsEveryGate(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "GUESTVIEW.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), " | ")
		for i := range cells {
			cells[i] = strings.ReplaceAll(cells[i], "\x00", "|")
		}
		rows[strings.Trim(strings.TrimPrefix(cells[0], "| "), "`")] = cells
	}
	gated := 0
	for _, r := range rules {
		if r.MinLinux == "" && r.MinQEMU == "" && r.BeforeLinux == "" {
			if _, ok := rows[r.ID]; ok {
				t.Errorf("docs/GUESTVIEW.md lists %s, which has no version gate", r.ID)
			}
			continue
		}
		gated++
		cells, ok := rows[r.ID]
		if !ok || len(cells) < 6 {
			t.Errorf("docs/GUESTVIEW.md has no row for gated rule %s", r.ID)
			continue
		}
		linux := r.MinLinux
		if r.BeforeLinux != "" {
			linux += " to < " + r.BeforeLinux
		}
		if linux == "" {
			linux = "—"
		}
		qemu := r.MinQEMU
		if qemu == "" {
			qemu = "—"
		}
		if cells[3] != linux || cells[4] != qemu || !strings.HasPrefix(cells[5], r.Source) {
			t.Errorf("docs/GUESTVIEW.md row for %s says linux %q qemu %q; the rule says %q %q (source %q)", r.ID, cells[3], cells[4], linux, qemu, r.Source)
		}
	}
	if gated < 40 {
		t.Fatalf("only %d gated rules", gated)
	}
}
