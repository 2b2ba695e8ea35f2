package guestview

import (
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
	if !def.StackAssumed || def.Options.Stack != DefaultStack || !has(def.Features, "arat") || has(def.Features, "arch-capabilities") {
		t.Errorf("default stack %+v assumed=%v: %v", def.Options.Stack, def.StackAssumed, def.Features)
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

func TestSpecCtrlOnAMDNeedsIBPBRet(t *testing.T) {
	h := Host{Vendor: VendorAMD, Features: []string{"ibpb", "ibrs", "amd-ssbd"}, LinuxFlags: []string{"ibpb", "ibrs"}}
	if v := Predict(h, Options{Stack: Stack{Linux: "6.16", QEMU: "10.1"}}); has(v.Features, "spec-ctrl") {
		t.Errorf("spec-ctrl predicted on AMD without amd_ibpb_ret: %v", v.Features)
	}
	h.LinuxFlags = append(h.LinuxFlags, "amd_ibpb_ret")
	v := Predict(h, Options{Stack: Stack{Linux: "6.16", QEMU: "10.1"}})
	if d, ok := find(v.Added, "spec-ctrl"); !ok || d.Kind != KindSynthesized {
		t.Errorf("spec-ctrl should be synthesized with amd_ibpb_ret: %v", v.Added)
	}
	if !has(v.Features, "ssbd") {
		t.Errorf("ssbd synthesized from amd-ssbd on a current kernel: %v", v.Features)
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
		for _, v := range []string{r.MinLinux, r.MinQEMU} {
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
