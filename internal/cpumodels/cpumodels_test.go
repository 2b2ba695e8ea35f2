package cpumodels_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/cpumodels/internal/catgen"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

var origin = catgen.Origin{Libvirt: "11.3.0", From: "shared/ref/libvirt/cpu_map"}

func loadRef(t *testing.T, elem ...string) *cpumodels.Catalog {
	t.Helper()
	dir := refdata.Path(t, append([]string{"libvirt"}, elem...)...)
	c, err := cpumodels.ParseFS(os.DirFS(dir), origin.SourceName())
	if err != nil {
		t.Fatalf("ParseFS(%s): %v", dir, err)
	}
	return c
}

func TestGeneratedIsFresh(t *testing.T) {
	want, err := catgen.Render(loadRef(t, "cpu_map"), origin)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(catgen.FileName)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is stale: run go generate ./internal/cpumodels", catgen.FileName)
	}
}

var ignoreUnexported = cmpopts.IgnoreUnexported(cpumodels.Catalog{}, cpumodels.Model{})

func TestBuiltinMatchesReference(t *testing.T) {
	ref := loadRef(t, "cpu_map")
	b := cpumodels.Builtin()
	if diff := cmp.Diff(ref, b, ignoreUnexported); diff != "" {
		t.Fatalf("Builtin() differs from ParseFS(cpu_map) (-ref +builtin):\n%s", diff)
	}
	// Builtin hands out copies: changing one must not leak into the next.
	b.Models["Broadwell"].Features = nil
	delete(b.Models, "EPYC")
	if b2 := cpumodels.Builtin(); len(b2.Models["Broadwell"].Features) == 0 || b2.Models["EPYC"] == nil {
		t.Fatal("Builtin() returned shared state")
	}
}

func TestEveryModelFileLoads(t *testing.T) {
	dir := refdata.Path(t, "libvirt", "cpu_map")
	files, err := filepath.Glob(filepath.Join(dir, "x86_*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c := cpumodels.Builtin()
	var n int
	for _, f := range files {
		base := filepath.Base(f)
		if base == "x86_features.xml" || base == "x86_vendors.xml" {
			continue
		}
		n++
		name := strings.TrimSuffix(strings.TrimPrefix(base, "x86_"), ".xml")
		m, ok := c.Models[name]
		if !ok {
			t.Errorf("model %s from %s missing", name, base)
			continue
		}
		if len(m.Features) == 0 {
			t.Errorf("model %s has no features", name)
		}
		if !slices.IsSorted(m.Features) {
			t.Errorf("model %s: features not sorted", name)
		}
		for _, f := range m.Features {
			if _, ok := c.Features[f]; !ok {
				t.Errorf("model %s: feature %s is not canonical", name, f)
			}
		}
		if !slices.Contains([]string{"Intel", "AMD", "Hygon", ""}, m.Vendor) {
			t.Errorf("model %s: vendor %q", name, m.Vendor)
		}
	}
	if n != 150 || len(c.Models) != 150 || len(c.Order) != 150 {
		t.Fatalf("files=%d models=%d order=%d, want 150 each", n, len(c.Models), len(c.Order))
	}
	if len(c.Features) != 364 {
		t.Errorf("features = %d, want 364 (x86_features.xml of 11.3.0)", len(c.Features))
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
}

// Expectations read by hand from libvirt 11.3.0's XML files.
var broadwellNoTSXIBRSCPUID = strings.Fields(`3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de
	erms fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni
	popcnt pse pse36 rdseed rdtscp sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc
	tsc-deadline x2apic xsave`)

func TestHandCheckedModels(t *testing.T) {
	c := cpumodels.Builtin()
	tests := []struct {
		name, model   string
		reason        string
		vendor        string
		parent        string
		aliasOf       string
		nFeatures     int
		has, hasNot   []string
		removed       []string
		sigs          []cpumodels.Signature
		host, guest   bool
		check         string
		cpuidFeatures []string // nil = not checked
	}{
		{
			name: "broadwell-notsx-ibrs", model: "Broadwell-noTSX-IBRS",
			reason: "126 <feature> lines: 53 CPUID + 73 vmx-* (added='yes'); no TSX",
			vendor: "Intel", nFeatures: 126,
			has: []string{"spec-ctrl", "vmx-ept", "vmx-pml"}, hasNot: []string{"hle", "rtm"},
			sigs: []cpumodels.Signature{{Family: 6, Model: 61}, {Family: 6, Model: 71}, {Family: 6, Model: 79}, {Family: 6, Model: 86}},
			host: true, guest: true, check: "compat",
			cpuidFeatures: broadwellNoTSXIBRSCPUID,
		},
		{
			name: "broadwell-v4-alias", model: "Broadwell-v4",
			reason: "x86_Broadwell-v4.xml = decode host=on guest=off + <model name='Broadwell-noTSX-IBRS'/>",
			vendor: "Intel", parent: "Broadwell-noTSX-IBRS", aliasOf: "Broadwell-noTSX-IBRS", nFeatures: 126,
			has: []string{"spec-ctrl"}, hasNot: []string{"hle", "rtm"},
			sigs: []cpumodels.Signature{{Family: 6, Model: 61}, {Family: 6, Model: 71}, {Family: 6, Model: 79}, {Family: 6, Model: 86}},
			host: true, guest: false,
			cpuidFeatures: broadwellNoTSXIBRSCPUID,
		},
		{
			name: "epyc-ibpb", model: "EPYC-IBPB",
			reason: "67 <feature> lines, monitor removed='yes'",
			vendor: "AMD", nFeatures: 66,
			has: []string{"ibpb", "svm", "sha-ni"}, hasNot: []string{"monitor"}, removed: []string{"monitor"},
			sigs: []cpumodels.Signature{{Family: 23, Model: 1}},
			host: true, guest: true, check: "compat",
		},
		{
			name: "cascadelake-server-v2", model: "Cascadelake-Server-v2",
			reason: "a full definition (no parent in 11.3.0): Cascadelake-Server + arch-capabilities ibrs-all mds-no pku rdctl-no skip-l1dfl-vmentry - vmx-invvpid",
			vendor: "Intel", nFeatures: 150,
			has:    []string{"arch-capabilities", "ibrs-all", "mds-no", "rdctl-no", "skip-l1dfl-vmentry", "pku", "hle", "rtm", "avx512vnni"},
			hasNot: []string{"mpx", "vmx-invvpid"},
			sigs:   []cpumodels.Signature{{Family: 6, Model: 85, Stepping: "5-7"}},
			host:   true, guest: false,
		},
		{
			name: "skylake-client-mpx-removed", model: "Skylake-Client",
			reason: "mpx removed='yes'", vendor: "Intel",
			has: []string{"hle", "rtm"}, hasNot: []string{"mpx"}, removed: []string{"mpx"},
			sigs: []cpumodels.Signature{{Family: 6, Model: 94}, {Family: 6, Model: 78}, {Family: 6, Model: 142}, {Family: 6, Model: 158}},
			host: true, guest: true, check: "compat",
		},
		{
			name: "dhyana-hygon", model: "Dhyana", reason: "Hygon vendor, signature model 0, monitor removed='yes' as in EPYC",
			vendor: "Hygon", has: []string{"ibpb"}, hasNot: []string{"monitor"}, removed: []string{"monitor"},
			sigs: []cpumodels.Signature{{Family: 24, Model: 0}},
			host: true, guest: true, check: "compat",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := c.Models[tt.model]
			if !ok {
				t.Fatalf("model %s missing (%s)", tt.model, tt.reason)
			}
			if m.Vendor != tt.vendor || m.Parent != tt.parent || m.AliasOf != tt.aliasOf {
				t.Errorf("vendor/parent/aliasOf = %q/%q/%q, want %q/%q/%q (%s)", m.Vendor, m.Parent, m.AliasOf, tt.vendor, tt.parent, tt.aliasOf, tt.reason)
			}
			if tt.nFeatures != 0 && len(m.Features) != tt.nFeatures {
				t.Errorf("%d features, want %d (%s)", len(m.Features), tt.nFeatures, tt.reason)
			}
			for _, f := range tt.has {
				if !m.HasFeature(f) {
					t.Errorf("missing %s (%s)", f, tt.reason)
				}
			}
			for _, f := range tt.hasNot {
				if m.HasFeature(f) {
					t.Errorf("unexpected %s (%s)", f, tt.reason)
				}
			}
			if diff := cmp.Diff(tt.removed, m.Removed); diff != "" {
				t.Errorf("Removed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.sigs, m.Signatures); diff != "" {
				t.Errorf("Signatures (-want +got):\n%s", diff)
			}
			if m.DecodeHost != tt.host || m.DecodeGuest != tt.guest || m.CheckPartial != tt.check {
				t.Errorf("decode %v/%v check %q, want %v/%v %q", m.DecodeHost, m.DecodeGuest, m.CheckPartial, tt.host, tt.guest, tt.check)
			}
			if tt.cpuidFeatures != nil {
				want := slices.Sorted(slices.Values(tt.cpuidFeatures))
				if diff := cmp.Diff(want, m.CPUIDFeatures()); diff != "" {
					t.Errorf("CPUIDFeatures (-want +got):\n%s", diff)
				}
			}
		})
	}
	// An alias has exactly its target's features.
	if diff := cmp.Diff(c.Models["Broadwell-noTSX-IBRS"].Features, c.Models["Broadwell-v4"].Features); diff != "" {
		t.Errorf("Broadwell-v4 vs Broadwell-noTSX-IBRS:\n%s", diff)
	}
	// Cascadelake-Server-v2 relative to Cascadelake-Server, by hand.
	cls, v2 := c.Models["Cascadelake-Server"], c.Models["Cascadelake-Server-v2"]
	var added, dropped []string
	for _, f := range v2.Features {
		if !cls.HasFeature(f) {
			added = append(added, f)
		}
	}
	for _, f := range cls.Features {
		if !v2.HasFeature(f) {
			dropped = append(dropped, f)
		}
	}
	if diff := cmp.Diff([]string{"arch-capabilities", "ibrs-all", "mds-no", "pku", "rdctl-no", "skip-l1dfl-vmentry"}, added); diff != "" {
		t.Errorf("Cascadelake-Server-v2 adds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"vmx-invvpid"}, dropped); diff != "" {
		t.Errorf("Cascadelake-Server-v2 drops (-want +got):\n%s", diff)
	}
}

func TestFeatures(t *testing.T) {
	c := cpumodels.Builtin()
	tests := []struct {
		name, lookup, canonical string
		reason                  string
		migratable, msr         bool
		bits                    cpumodels.Bits
	}{
		{"qemu-alias", "pclmulqdq", "pclmuldq", "alias source='qemu'", true, false, cpumodels.Bits{Leaf: 1, ECX: 2}},
		{"linux-alias", "arch_capabilities", "arch-capabilities", "alias source='linux'", true, false, cpumodels.Bits{Leaf: 7, EDX: 0x20000000}},
		{"msr", "ibrs-all", "ibrs-all", "msr index 0x10a eax 0x2", true, true, cpumodels.Bits{MSR: true, Leaf: 0x10a, EAX: 2}},
		{"not-migratable", "invtsc", "invtsc", "migratable='no'", false, false, cpumodels.Bits{Leaf: 0x80000007, EDX: 0x100}},
		{"xsaves", "xsaves", "xsaves", "migratable='no', leaf 0xd subleaf 1", false, false, cpumodels.Bits{Leaf: 0xd, Subleaf: 1, EAX: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := c.Feature(tt.lookup)
			if !ok {
				t.Fatalf("Feature(%q) not found (%s)", tt.lookup, tt.reason)
			}
			if f.Name != tt.canonical || f.Migratable != tt.migratable || f.MSR != tt.msr {
				t.Errorf("got %s migratable=%v msr=%v, want %s %v %v (%s)", f.Name, f.Migratable, f.MSR, tt.canonical, tt.migratable, tt.msr, tt.reason)
			}
			if diff := cmp.Diff([]cpumodels.Bits{tt.bits}, f.Bits); diff != "" {
				t.Errorf("bits (-want +got):\n%s", diff)
			}
		})
	}
	if f, _ := c.Feature("arch-capabilities"); !slices.Equal(f.LinuxAliases, []string{"arch_capabilities"}) {
		t.Errorf("LinuxAliases = %v", f.LinuxAliases)
	}
	if _, ok := c.Feature("no-such-feature"); ok {
		t.Error("unknown feature found")
	}
	names := c.FeatureNames()
	if !slices.IsSorted(names) || len(names) != 364 {
		t.Errorf("FeatureNames: %d names, sorted=%v", len(names), slices.IsSorted(names))
	}
}

func TestLookup(t *testing.T) {
	c := cpumodels.Builtin()
	tests := []struct {
		name, query, want, reason string
	}{
		{"exact", "Broadwell-noTSX-IBRS", "Broadwell-noTSX-IBRS", "libvirt spelling"},
		{"lower", "broadwell-notsx-ibrs", "Broadwell-noTSX-IBRS", "Nova lower-cases both sides"},
		{"upper", "EPYC-ROME", "EPYC-Rome", "case-insensitive"},
		{"unknown", "Pentium5", "", "not a libvirt model"},
		{"empty", "", "", "empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := c.Lookup(tt.query)
			if tt.want == "" {
				if ok {
					t.Fatalf("Lookup(%q) = %s, want none (%s)", tt.query, m.Name, tt.reason)
				}
				return
			}
			if !ok || m.Name != tt.want {
				t.Fatalf("Lookup(%q) = %v, %v; want %s (%s)", tt.query, m, ok, tt.want, tt.reason)
			}
		})
	}
	names := c.ModelNames()
	if !slices.IsSorted(names) || len(names) != 150 {
		t.Errorf("ModelNames: %d names, sorted=%v", len(names), slices.IsSorted(names))
	}
	// A hand-built catalog without indexes still works.
	hand := &cpumodels.Catalog{Models: map[string]*cpumodels.Model{"Foo": {Name: "Foo"}}}
	if m, ok := hand.Lookup("foo"); !ok || m.Name != "Foo" {
		t.Error("Lookup on unindexed catalog failed")
	}
}

func TestVMXAndMSRRule(t *testing.T) {
	c := cpumodels.Builtin()
	m := c.Models["Cascadelake-Server-v2"]
	cpuid := m.CPUIDFeatures()
	for _, f := range cpuid {
		if cpumodels.IsVMXControl(f) || c.Features[f].MSR {
			t.Errorf("CPUIDFeatures contains MSR feature %s", f)
		}
	}
	for _, want := range []string{"arch-capabilities", "vmx", "avx512vnni"} {
		if !slices.Contains(cpuid, want) && m.HasFeature(want) {
			t.Errorf("CPUIDFeatures lost CPUID feature %s", want)
		}
	}
	for _, msr := range []string{"ibrs-all", "mds-no", "rdctl-no", "skip-l1dfl-vmentry", "vmx-ept"} {
		if slices.Contains(cpuid, msr) {
			t.Errorf("CPUIDFeatures keeps %s", msr)
		}
		if !slices.Contains(m.Required(cpumodels.FromLibvirt), msr) {
			t.Errorf("Required(FromLibvirt) lacks %s", msr)
		}
	}
	if diff := cmp.Diff(cpuid, m.Required(cpumodels.FromCPUInfo)); diff != "" {
		t.Errorf("Required(FromCPUInfo) != CPUIDFeatures:\n%s", diff)
	}
	// A hand-made model falls back to the builtin MSR list and the vmx- prefix.
	hand := &cpumodels.Model{Features: []string{"avx", "mds-no", "vmx", "vmx-ept"}}
	if diff := cmp.Diff([]string{"avx", "vmx"}, hand.CPUIDFeatures()); diff != "" {
		t.Errorf("hand-made CPUIDFeatures:\n%s", diff)
	}
	tests := []struct {
		name   string
		want   bool
		reason string
	}{
		{"vmx-ept", true, "control"},
		{"vmx-exit-load-efer", true, "control"},
		{"vmx", false, "the CPUID bit itself"},
		{"svm", false, "AMD"},
	}
	for _, tt := range tests {
		if got := cpumodels.IsVMXControl(tt.name); got != tt.want {
			t.Errorf("IsVMXControl(%q) = %v, want %v (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}

// TestLoadLibvirt9: libvirt 9.0.0's cpu_map (Debian 12) loads without
// warnings, as the older set it is.
func TestLoadLibvirt9(t *testing.T) {
	old := loadRef(t, "cpu_map_debian12_libvirt-9.0.0")
	if len(old.Warnings) != 0 {
		t.Errorf("9.0.0 warnings: %v", old.Warnings)
	}
	// 9.0.0 has no -vN models and 212 features; its Broadwell-noTSX-IBRS
	// predates the vmx-* additions.
	if _, ok := old.Models["Broadwell-v4"]; ok {
		t.Error("9.0.0 should not have Broadwell-v4")
	}
	if len(old.Features) != 212 {
		t.Errorf("9.0.0 features = %d, want 212", len(old.Features))
	}
	oldBW := old.Models["Broadwell-noTSX-IBRS"]
	if oldBW == nil || oldBW.HasFeature("vmx-ept") || !oldBW.HasFeature("spec-ctrl") {
		t.Fatalf("9.0.0 Broadwell-noTSX-IBRS unexpected: %+v", oldBW)
	}
}

func TestLoadDir(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-cpu_map")
	_, err := cpumodels.LoadDir(missing)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("LoadDir(missing) error %v, want it to name %s", err, missing)
	}
	dir := refdata.Path(t, "libvirt", "cpu_map")
	c, err := cpumodels.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != dir || len(c.Models) != 150 {
		t.Errorf("LoadDir: source %q, %d models", c.Source, len(c.Models))
	}
	empty := t.TempDir()
	if _, err := cpumodels.LoadDir(empty); err == nil || !strings.Contains(err.Error(), "index.xml") {
		t.Errorf("LoadDir(empty dir) error %v, want mention of index.xml", err)
	}
}

// An old monolithic cpu_map.xml: one file, <arch name='x86'>, inheritance
// with own features, cpuid function= instead of eax_in=.
const monolithic = `<cpus>
  <arch name='x86'>
    <vendor name='Intel' string='GenuineIntel'/>
    <feature name='fpu'><cpuid function='0x00000001' edx='0x00000001'/></feature>
    <feature name='de'><cpuid function='0x00000001' edx='0x00000004'/></feature>
    <feature name='tsc'><cpuid function='0x00000001' edx='0x00000010'/></feature>
    <feature name='pni'><alias name='sse3' source='qemu'/><cpuid function='0x00000001' ecx='0x00000001'/></feature>
    <model name='486'><feature name='fpu'/><feature name='de'/></model>
    <model name='pentium'><model name='486'/><feature name='tsc'/></model>
    <model name='Nehalem'><model name='pentium'/><vendor name='Intel'/><feature name='sse3'/><feature name='de' removed='yes'/></model>
  </arch>
  <arch name='ppc64'><model name='POWER8'/></arch>
</cpus>`

func TestMonolithic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu_map.xml")
	if err := os.WriteFile(path, []byte(monolithic), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, load := range []string{path, filepath.Dir(path)} {
		c, err := cpumodels.LoadDir(load)
		if err != nil {
			t.Fatalf("LoadDir(%s): %v", load, err)
		}
		want := map[string][]string{
			"486":     {"de", "fpu"},
			"pentium": {"de", "fpu", "tsc"},
			"Nehalem": {"fpu", "pni", "tsc"},
		}
		if len(c.Models) != 3 {
			t.Errorf("models %v, want 3 (ppc64 skipped)", c.ModelNames())
		}
		for name, feats := range want {
			m := c.Models[name]
			if m == nil {
				t.Fatalf("missing %s", name)
			}
			if diff := cmp.Diff(feats, m.Features); diff != "" {
				t.Errorf("%s features (-want +got):\n%s", name, diff)
			}
		}
		if m := c.Models["pentium"]; m.Parent != "486" || m.AliasOf != "" {
			t.Errorf("pentium parent %q aliasOf %q", m.Parent, m.AliasOf)
		}
		if m := c.Models["Nehalem"]; m.Vendor != "Intel" || !slices.Equal(m.Removed, []string{"de"}) {
			t.Errorf("Nehalem vendor %q removed %v", m.Vendor, m.Removed)
		}
	}
}

// fsWith builds a cpu_map with one vendor, two features and the given files.
func fsWith(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{
		"x86_vendors.xml":  {Data: []byte(`<cpus><vendor name='Intel' string='GenuineIntel'/></cpus>`)},
		"x86_features.xml": {Data: []byte(`<cpus><feature name='fpu'><cpuid eax_in='0x01' edx='0x01'/></feature><feature name='de'><cpuid eax_in='0x01' edx='0x04'/></feature></cpus>`)},
	}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

const idx = `<cpus><arch name='x86'><include filename='x86_vendors.xml'/><include filename='x86_features.xml'/><group name='g'>%s</group></arch></cpus>`

func index(includes ...string) string {
	var b strings.Builder
	for _, i := range includes {
		b.WriteString("<include filename='" + i + "'/>")
	}
	return strings.Replace(idx, "%s", b.String(), 1)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
		reason  string
	}{
		{"ok", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><feature name='fpu'/></model></cpus>`}, "", "valid"},
		{"no-index", map[string]string{}, "no index.xml", "not a cpu_map"},
		{"malformed", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'>`}, "x86_A.xml: malformed XML", "truncated"},
		{"wrong-root", map[string]string{"index.xml": `<html/>`}, "want <cpus>", "not cpu_map"},
		{"self-include", map[string]string{"index.xml": index("index.xml")}, "include loop: index.xml -> index.xml", "index includes itself"},
		{"include-cycle", map[string]string{"index.xml": index("a.xml"), "a.xml": `<cpus><include filename='b.xml'/></cpus>`, "b.xml": `<cpus><include filename='a.xml'/></cpus>`}, "include loop: index.xml -> a.xml -> b.xml -> a.xml", "a/b loop"},
		{"missing-include", map[string]string{"index.xml": index("x86_Gone.xml")}, "index.xml includes missing or unreadable x86_Gone.xml", "file absent"},
		{"escaping-include", map[string]string{"index.xml": index("../etc/passwd")}, "leaves the cpu_map directory", "path traversal"},
		{"parent-cycle", map[string]string{"index.xml": index("x86_A.xml", "x86_B.xml"), "x86_A.xml": `<cpus><model name='A'><model name='B'/></model></cpus>`, "x86_B.xml": `<cpus><model name='B'><model name='A'/></model></cpus>`}, "model parent cycle: A -> B -> A", "A<->B"},
		{"self-parent", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><model name='A'/></model></cpus>`}, "model parent cycle: A -> A", "A inherits A"},
		{"missing-parent", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><model name='Z'/></model></cpus>`}, `parent model "Z" is not defined`, "dangling"},
		{"unknown-feature", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><feature name='cet-ss'/></model></cpus>`}, `uses feature "cet-ss", which x86_features.xml does not define`, "README caveat 8"},
		{"unknown-vendor", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><vendor name='Cyrix'/><feature name='fpu'/></model></cpus>`}, `unknown vendor "Cyrix"`, "vendor not in x86_vendors.xml"},
		{"bad-decode", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><decode host='maybe'/></model></cpus>`}, `decode host="maybe"`, "on/off only"},
		{"bad-removed", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><feature name='fpu' removed='sure'/></model></cpus>`}, `removed="sure"`, "yes/no only"},
		{"bad-stepping", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><signature family='6' model='85' stepping='7-5'/></model></cpus>`}, `stepping="7-5"`, "reversed range"},
		{"bad-family", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><signature family='x' model='1'/></model></cpus>`}, `family="x"`, "not a number"},
		{"dup-model", map[string]string{"index.xml": index("x86_A.xml", "x86_A2.xml"), "x86_A.xml": `<cpus><model name='A'/></cpus>`, "x86_A2.xml": `<cpus><model name='A'/></cpus>`}, `model "A" already defined in x86_A.xml`, "duplicate"},
		{"dup-feature", map[string]string{"index.xml": index("x86_features.xml")}, `feature "fpu" already defined`, "features included twice"},
		{"bad-cpuid", map[string]string{"index.xml": index("x86_F.xml"), "x86_F.xml": `<cpus><feature name='x'><cpuid eax_in='zz'/></feature></cpus>`}, `eax_in="zz"`, "not hex"},
		{"two-parents", map[string]string{"index.xml": index("x86_A.xml"), "x86_A.xml": `<cpus><model name='A'><model name='B'/><model name='C'/></model></cpus>`}, "two parent models", "ambiguous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cpumodels.ParseFS(fsWith(tt.files), "test")
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("unexpected error %v (%s)", err, tt.reason)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q (%s)", tt.wantErr, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q (%s)", err, tt.wantErr, tt.reason)
			}
		})
	}
}

func TestWarningsForUnknownSyntax(t *testing.T) {
	c, err := cpumodels.ParseFS(fsWith(map[string]string{
		"index.xml": index("x86_A.xml"),
		"x86_A.xml": `<cpus><model name='A' future='1'><feature name='fpu'/><blockers/></model></cpus>`,
	}), "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "<blockers>") {
		t.Errorf("warnings %v, want one about <blockers>", c.Warnings)
	}
}

// TestGitHubSupplementNeedsNewerFeatures documents why Builtin leaves the
// GitHub models out: overlaid on 11.3.0 they do not load.
func TestGitHubSupplementNeedsNewerFeatures(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, sub := range []string{"cpu_map", "cpu_map_github"} {
		dir := refdata.Path(t, "libvirt", sub)
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			fsys[e.Name()] = &fstest.MapFile{Data: data}
		}
	}
	_, err := cpumodels.ParseFS(fsys, "github")
	if err == nil || !strings.Contains(err.Error(), "x86_") {
		t.Fatalf("error %v, want a missing include or unknown feature", err)
	}
	// Drop the includes whose files were not fetched: unknown features remain.
	idxData := string(fsys["index.xml"].Data)
	for _, v := range []string{"1", "2", "3"} {
		idxData = strings.Replace(idxData, "<include filename='x86_YongFeng-v"+v+".xml'/>", "", 1)
	}
	fsys["index.xml"] = &fstest.MapFile{Data: []byte(idxData)}
	_, err = cpumodels.ParseFS(fsys, "github")
	if err == nil || !strings.Contains(err.Error(), "which x86_features.xml does not define") {
		t.Fatalf("error %v, want unknown feature", err)
	}
}

func BenchmarkBuiltin(b *testing.B) {
	for b.Loop() {
		_ = cpumodels.Builtin()
	}
}

func BenchmarkParseFS(b *testing.B) {
	dir := refdata.Path(b, "libvirt", "cpu_map")
	fsys := os.DirFS(dir)
	for b.Loop() {
		if _, err := cpumodels.ParseFS(fsys, dir); err != nil {
			b.Fatal(err)
		}
	}
}
