package baseline

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
)

// TestLibvirtCost: the expected costs are worked out by hand from
// virCPUx86CompareCandidateFeatureList (src/cpu/cpu_x86.c): the features
// list holds the added features, then the disabled ones; the loop bound
// `enabled` drops by one per disabled feature met, so of d disabled
// features the first ceil(d/2) are charged 2, 3, 4... and the rest 1 each.
func TestLibvirtCost(t *testing.T) {
	for _, tt := range []struct {
		added, disabled, cost, penalty int
	}{
		{0, 0, 0, 0},
		{7, 0, 7, 0},
		{0, 1, 2, 2},      // one disabled: BASE_PENALTY
		{0, 2, 3, 2},      // 2 charged, the second counted as enabled (1)
		{3, 3, 9, 5},      // 3 added + 1 uncharged + 2+3
		{0, 4, 7, 5},      // 2 uncharged + 2+3
		{10, 5, 21, 9},    // 10 + 2 uncharged + 2+3+4
		{2, 28, 135, 119}, // 2 + 14 uncharged + (2+3+...+15 = 119)
	} {
		cost, pen := libvirtCost(tt.added, tt.disabled)
		if cost != tt.cost || pen != tt.penalty {
			t.Errorf("libvirtCost(%d added, %d disabled) = %d, %d; want %d, %d", tt.added, tt.disabled, cost, pen, tt.cost, tt.penalty)
		}
	}
}

// cpuidFeatures is a model's features without the vmx-* controls: what a
// libvirt-view host of exactly that CPU reports.
func cpuidFeatures(t *testing.T, model string) []string {
	t.Helper()
	m, ok := cpumodels.Builtin().Lookup(model)
	if !ok {
		t.Fatalf("no model %s in the built-in catalog", model)
	}
	var out []string
	for _, f := range m.Features {
		if !cpumodels.IsVMXControl(f) {
			out = append(out, f)
		}
	}
	return out
}

func candidate(r *Result, model string) (Candidate, bool) {
	for _, c := range r.Candidates {
		if c.Model == model {
			return c, true
		}
	}
	return Candidate{}, false
}

// TestRemovedFeatures: Skylake-Server marks mpx removed='yes' (cpu_map
// x86_Skylake-Server.xml). Hosts without MPX run it; libvirt disables mpx
// itself, so it is neither required nor written, and libvirt's cost counts
// it as one disabled feature. Hosts with MPX get it as an extra flag, as
// libvirt's baseline requires it (x86_64-cpuid-baseline-Cascadelake+Icelake.xml
// requires mpx on top of Cascadelake-Server, which also marks it removed).
func TestRemovedFeatures(t *testing.T) {
	base := cpuidFeatures(t, "Skylake-Server")
	if slices.Contains(base, "mpx") {
		t.Fatal("Skylake-Server lists mpx as a feature; the catalog no longer marks it removed")
	}
	host := func(name string, extra ...string) Host {
		return Host{Name: name, Vendor: "Intel", View: ViewLibvirt, Features: append(slices.Clone(base), extra...)}
	}
	t.Run("hosts without mpx", func(t *testing.T) {
		r, err := Compute(mustAcc(t, host("a"), host("b")), Request{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Model != "Skylake-Server" {
			t.Fatalf("model %s, want Skylake-Server (runs once its removed mpx is not required)", r.Model)
		}
		if diff := cmp.Diff([]string{"mpx"}, r.RemovedFlags); diff != "" {
			t.Errorf("RemovedFlags (-want +got):\n%s", diff)
		}
		if slices.Contains(r.ExtraFlags, "mpx") || slices.Contains(r.DisabledFlags, "mpx") || strings.Contains(r.NovaConf, "mpx") {
			t.Errorf("mpx written: extra %v, disabled %v, nova.conf %q", r.ExtraFlags, r.DisabledFlags, r.NovaConf)
		}
		if c, _ := candidate(r, "Skylake-Server"); c.Score != 2 || !slices.Equal(c.Removed, []string{"mpx"}) {
			t.Errorf("Skylake-Server cost %d removed %v, want 2 (one disabled feature) and [mpx]", c.Score, c.Removed)
		}
		if !slices.ContainsFunc(r.Explanation, func(s string) bool { return strings.Contains(s, "marks mpx removed") }) {
			t.Errorf("explanation does not say mpx is removed: %v", r.Explanation)
		}
	})
	t.Run("hosts with mpx", func(t *testing.T) {
		r, err := Compute(mustAcc(t, host("a", "mpx"), host("b", "mpx")), Request{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Model != "Skylake-Server" || !slices.Contains(r.ExtraFlags, "mpx") || len(r.RemovedFlags) != 0 {
			t.Errorf("model %s extra %v removed %v, want Skylake-Server with extra flag mpx and nothing removed", r.Model, r.ExtraFlags, r.RemovedFlags)
		}
	})
	t.Run("named model", func(t *testing.T) {
		r, err := Compute(mustAcc(t, host("a"), host("b", "mpx")), Request{Model: "Skylake-Server"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.ModelBlockers) != 0 {
			t.Errorf("blockers %v: a removed feature must not block", r.ModelBlockers)
		}
	})
}

// TestVersionedModels: EPYC-Rome-v4 is a versioned model (x86_EPYC-Rome-v4.xml,
// not a bare alias) that libvirt 9.0.0 does not define (no x86_*-vN.xml in
// its cpu_map). A host of exactly its features runs it only when its libvirt
// is known to define it.
func TestVersionedModels(t *testing.T) {
	const v4 = "EPYC-Rome-v4"
	if m, _ := cpumodels.Builtin().Lookup(v4); m == nil || m.AliasOf != "" || !IsVersioned(v4) {
		t.Fatalf("%s is not a non-alias versioned model of the catalog", v4)
	}
	feats := cpuidFeatures(t, v4)
	host := func(name, version string, models ...ModelUsability) Host {
		return Host{Name: name, Vendor: "AMD", View: ViewLibvirt, Features: feats, LibvirtVersion: version, LibvirtModels: models}
	}
	tests := []struct {
		name      string
		hosts     []Host
		req       Request
		versioned bool   // a versioned model may be chosen
		model     string // when not "", the model wanted
		assumed   string // Result.AssumedLibvirt
	}{
		{name: "capture: 9.0.0 assumed", hosts: []Host{host("a", ""), host("b", "")}, assumed: DefaultAssumedLibvirt},
		{name: "hosts report 9.0.0", hosts: []Host{host("a", "9.0.0"), host("b", "9.0.0")}},
		{name: "one host on 10.0.0", hosts: []Host{host("a", "11.3.0"), host("b", "10.0.0")}},
		{name: "hosts report 11.3.0", hosts: []Host{host("a", "11.3.0"), host("b", "11.3.0")}, versioned: true, model: v4},
		{name: "assumed 11.3.0 by request", hosts: []Host{host("a", ""), host("b", "")}, req: Request{LibvirtVersion: "11.3.0"}, versioned: true, model: v4, assumed: "11.3.0"},
		{name: "hosts' libvirt lists it", hosts: []Host{
			host("a", "", ModelUsability{Name: v4, Usable: "yes"}, ModelUsability{Name: "EPYC-Rome", Usable: "yes"}),
			host("b", "", ModelUsability{Name: v4, Usable: "yes"}, ModelUsability{Name: "EPYC-Rome", Usable: "yes"})},
			versioned: true, model: v4},
		// libvirt's baseline skips decode guest='off' models, every
		// versioned one among them: where Nova can disable features, its
		// choice is followed, and EPYC-Rome (requiring what v4 adds) wins.
		{name: "11.3.0, disabling allowed", hosts: []Host{host("a", "11.3.0"), host("b", "11.3.0")}, req: Request{AllowDisable: true}, model: "EPYC-Rome"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compute(mustAcc(t, tt.hosts...), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if IsVersioned(r.Model) != tt.versioned || tt.model != "" && r.Model != tt.model {
				t.Errorf("model %s; want versioned=%v %s", r.Model, tt.versioned, tt.model)
			}
			if r.AssumedLibvirt != tt.assumed {
				t.Errorf("AssumedLibvirt %q, want %q", r.AssumedLibvirt, tt.assumed)
			}
			c, ok := candidate(r, v4)
			if !tt.versioned && ok && c.Fits {
				t.Errorf("%s fits: %+v", v4, c)
			}
			if !tt.versioned && ok && !slices.ContainsFunc(c.Lacking, func(s string) bool { return strings.Contains(s, "versioned model unknown to libvirt") }) {
				t.Errorf("%s lacks %v, want the unknown-to-libvirt verdict", v4, c.Lacking)
			}
			if tt.assumed != "" && !slices.ContainsFunc(r.Explanation, func(s string) bool { return strings.Contains(s, "libvirt "+tt.assumed+" is assumed") }) {
				t.Errorf("explanation does not state the assumed libvirt: %v", r.Explanation)
			}
		})
	}
}

// TestAMDClusterDisables: Rome + Milan captures lack svm in their predicted
// guest views (KVM gives it only with nested=1), and every AMD model but
// Opteron_G1 has it. Where Nova can disable features, the AMD model libvirt
// picks runs with svm disabled ("-svm") and is preferred over the Intel
// model that runs whole; where it cannot, the Intel model is taken and the
// result says which AMD model it would have been.
func TestAMDClusterDisables(t *testing.T) {
	hosts := []Host{sampleHost(t, rome, "source"), sampleHost(t, milan, "target")}
	on, err := Compute(mustAcc(t, hosts...), Request{AllowDisable: true, NovaRelease: "2023.1 (27)"})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := cpumodels.Builtin().Lookup(on.Model)
	if m == nil || m.Vendor != "AMD" || !slices.Contains(on.DisabledFlags, "svm") {
		t.Fatalf("model %s disabled %v, want an AMD model with svm disabled", on.Model, on.DisabledFlags)
	}
	if !strings.Contains(on.NovaConf, "-svm") || !strings.Contains(on.LibvirtXML, "policy='disable' name='svm'") || !strings.Contains(on.QEMUCPU, "svm=off") {
		t.Errorf("disabled svm not written: %q %q %q", on.NovaConf, on.LibvirtXML, on.QEMUCPU)
	}
	for _, f := range on.DisabledFlags {
		if slices.Contains(on.Common, f) {
			t.Errorf("disabled %s is on every host", f)
		}
	}
	for _, f := range on.ExtraFlags {
		if def, ok := cpumodels.Builtin().Feature(f); ok && len(def.Bits) > 0 && def.Bits[0].Leaf == svmLeaf {
			t.Errorf("extra flag %s is an SVM capability bit, useless with svm disabled", f)
		}
	}
	if on.PreferredOver == "" {
		t.Errorf("PreferredOver empty: the Intel model that runs whole should be named")
	}
	off, err := Compute(mustAcc(t, hosts...), Request{NovaRelease: "22 (victoria)"})
	if err != nil {
		t.Fatal(err)
	}
	if len(off.DisabledFlags) != 0 || strings.Contains(off.NovaConf, " -") {
		t.Errorf("Nova before Wallaby: disabled %v, nova.conf %q", off.DisabledFlags, off.NovaConf)
	}
	if off.Model != on.PreferredOver {
		t.Errorf("without disabling: model %s, want %s (the model the AMD one was preferred over)", off.Model, on.PreferredOver)
	}
	if off.NotDisabled == nil || off.NotDisabled.Model != on.Model || !slices.Equal(off.NotDisabled.Disabled, on.DisabledFlags) {
		t.Errorf("NotDisabled %+v, want %s with %v", off.NotDisabled, on.Model, on.DisabledFlags)
	}
	if !slices.ContainsFunc(off.Explanation, func(s string) bool { return strings.Contains(s, "cannot disable model features") }) {
		t.Errorf("explanation does not say why the AMD model was not taken: %v", off.Explanation)
	}
}

// TestViewWarning: hosts whose guest view is predicted are not said to keep
// what KVM cannot give guests; hosts taken as captured (cpuinfo) are.
func TestViewWarning(t *testing.T) {
	warning := func(hosts ...Host) string {
		r, err := Compute(mustAcc(t, hosts...), Request{})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range r.Warnings {
			if strings.Contains(w, "described by /proc/cpuinfo or lscpu") {
				return w
			}
		}
		t.Fatalf("no view warning in %v", r.Warnings)
		return ""
	}
	pred := warning(sampleHost(t, rome, "a"), sampleHost(t, milan, "b"))
	if strings.Contains(pred, "not removed") || !strings.Contains(pred, "their view is predicted") {
		t.Errorf("predicted hosts: %s", pred)
	}
	mixed := warning(sampleHost(t, rome, "a"), rawSampleHost(t, milan, "b"))
	if !strings.Contains(mixed, "for "+rome+" (view predicted)") || !strings.Contains(mixed, "for "+milan+" (view cpuinfo) the flags are taken as captured, so features KVM cannot give guests are not removed") {
		t.Errorf("mixed views: %s", mixed)
	}
}
