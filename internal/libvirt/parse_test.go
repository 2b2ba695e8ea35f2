package libvirt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Versions
		wantErr string
		reason  string
	}{
		{
			name:   "debian12 rig host",
			in:     string(fixtureStdout(t, "version")),
			want:   Versions{Libvirt: "9.0.0", LibvirtAPI: "QEMU 9.0.0", Hypervisor: "QEMU 7.2.22"},
			reason: "real `virsh version` captured on the rig host",
		},
		{
			name: "with daemon line",
			in: "Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\n" +
				"Running hypervisor: QEMU 7.2.22\nRunning against daemon: 9.0.0\n",
			want:   Versions{Libvirt: "9.0.0", LibvirtAPI: "QEMU 9.0.0", Hypervisor: "QEMU 7.2.22", Daemon: "9.0.0"},
			reason: "`virsh version --daemon` adds the daemon version",
		},
		{
			name:   "library lines only",
			in:     "Compiled against library: libvirt 8.0.0\nUsing library: libvirt 8.0.1\n",
			want:   Versions{Libvirt: "8.0.1"},
			reason: "the library actually used wins over the one virsh was compiled against",
		},
		{
			name:   "compiled only",
			in:     "Compiled against library: libvirt 7.0.0\n",
			want:   Versions{Libvirt: "7.0.0"},
			reason: "fall back to the compiled-against version when nothing better is printed",
		},
		{
			name:    "empty",
			in:      "",
			wantErr: "no \"Using library",
			reason:  "daemon-down runs print nothing useful on stdout",
		},
		{
			name:    "localised output",
			in:      "Kompiliert gegen Bibliothek: libvirt 9.0.0\n",
			wantErr: "LC_ALL=C",
			reason:  "a non-English virsh cannot be parsed; the error says how to fix it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVersion([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseVersion mismatch (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestParseDomCapsKVMNestedHost(t *testing.T) {
	dc, err := ParseDomCaps(fixtureStdout(t, "domcaps-kvm"))
	if err != nil {
		t.Fatal(err)
	}
	if dc.Emulator != "/usr/bin/qemu-system-x86_64" || dc.VirtType != "kvm" || dc.Machine != "pc-i440fx-7.2" || dc.Arch != "x86_64" {
		t.Errorf("header = %q %q %q %q", dc.Emulator, dc.VirtType, dc.Machine, dc.Arch)
	}
	if !dc.HostPassthrough {
		t.Error("host-passthrough should be supported with kvm")
	}
	hm := dc.HostModel
	if !hm.Supported || hm.Model != "EPYC-Milan" || hm.Vendor != "AMD" || hm.Fallback != "forbid" {
		t.Errorf("host model = %+v", hm)
	}
	var require []string
	disable := 0
	for _, f := range hm.Features {
		switch f.Policy {
		case "require":
			require = append(require, f.Name)
		case "disable":
			disable++
		default:
			t.Errorf("unexpected policy %q", f.Policy)
		}
	}
	wantRequire := []string{"x2apic", "tsc-deadline", "hypervisor", "tsc_adjust", "arch-capabilities", "cmp_legacy",
		"invtsc", "rdctl-no", "skip-l1dfl-vmentry", "mds-no", "pschange-mc-no"}
	if diff := cmp.Diff(wantRequire, require); diff != "" {
		t.Errorf("host-model require features (-want +got):\n%s", diff)
	}
	if disable != 46 {
		t.Errorf("host-model disables %d features, the fixture has 46", disable)
	}
	// The nested-KVM host: /proc/cpuinfo lists sse4_1, avx2, ... but KVM can
	// only give 4 of 53 named models.
	if len(dc.Models) != 53 {
		t.Errorf("%d models, want 53", len(dc.Models))
	}
	if diff := cmp.Diff([]string{"pentium3", "pentium2", "pentium", "486"}, dc.UsableModels()); diff != "" {
		t.Errorf("usable models (-want +got):\n%s", diff)
	}
	w, ok := dc.Model("Westmere")
	if !ok || !cmp.Equal(w, ModelUsability{Name: "Westmere", Usable: "no", Vendor: "Intel"}) {
		t.Errorf("Westmere = %+v, %v", w, ok)
	}
	if m, _ := dc.Model("qemu64"); m.Vendor != "unknown" || m.Usable != "no" {
		t.Errorf("qemu64 = %+v", m)
	}
	if _, ok := dc.Model("NoSuchModel"); ok {
		t.Error("Model found a model that is not there")
	}
}

func TestParseDomCapsQEMUTCG(t *testing.T) {
	dc, err := ParseDomCaps(fixtureStdout(t, "domcaps-qemu"))
	if err != nil {
		t.Fatal(err)
	}
	if dc.VirtType != "qemu" || dc.HostPassthrough {
		t.Errorf("virt type %q, host-passthrough %v; TCG has no host-passthrough", dc.VirtType, dc.HostPassthrough)
	}
	if dc.HostModel.Model != "EPYC" || dc.HostModel.Vendor != "AMD" {
		t.Errorf("host model = %q %q", dc.HostModel.Model, dc.HostModel.Vendor)
	}
	wantFeatures := []FeaturePolicy{{"acpi", "require"}, {"ss", "require"}, {"monitor", "require"}, {"hypervisor", "require"},
		{"erms", "require"}, {"mpx", "require"}, {"pcommit", "require"}, {"clwb", "require"}, {"umip", "require"},
		{"pku", "require"}, {"vaes", "require"}, {"la57", "require"}, {"pks", "require"}, {"3dnowext", "require"},
		{"3dnow", "require"}, {"npt", "require"}, {"vgif", "require"}, {"svme-addr-chk", "require"}, {"vme", "disable"},
		{"rdseed", "disable"}, {"sha-ni", "disable"}, {"xsavec", "disable"}, {"fxsr_opt", "disable"},
		{"misalignsse", "disable"}, {"3dnowprefetch", "disable"}, {"osvw", "disable"}, {"topoext", "disable"},
		{"nrip-save", "disable"}}
	if diff := cmp.Diff(wantFeatures, dc.HostModel.Features); diff != "" {
		t.Errorf("host-model features (-want +got):\n%s", diff)
	}
	want := []string{"qemu64", "qemu32", "pentium3", "pentium2", "pentium", "n270", "kvm64", "kvm32", "coreduo",
		"core2duo", "athlon", "Westmere", "Penryn", "Opteron_G2", "Opteron_G1", "Nehalem", "Conroe", "486"}
	if diff := cmp.Diff(want, dc.UsableModels()); diff != "" {
		t.Errorf("usable TCG models (-want +got):\n%s", diff)
	}
}

func TestParseDomCapsNewerLibvirtBlockers(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "domcaps-newer-libvirt-handmade.xml"))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := ParseDomCaps(data)
	if err != nil {
		t.Fatal(err)
	}
	want := &DomCaps{
		Emulator: "/usr/libexec/qemu-kvm", Arch: "x86_64", Machine: "pc-q35-rhel9.4.0", VirtType: "kvm",
		HostModel: HostModel{Supported: true, Model: "Skylake-Server-IBRS", Vendor: "Intel", Fallback: "allow",
			Features: []FeaturePolicy{{"md-clear", "require"}, {"ssbd", "require"}, {"hle", "disable"}, {"rtm", "disable"}}},
		HostPassthrough: false,
		Models: []ModelUsability{
			{Name: "486", Usable: "yes", Vendor: "unknown", Canonical: "486-v1"},
			{Name: "Broadwell", Usable: "no", Vendor: "Intel", Canonical: "Broadwell-v1", Blockers: []string{"hle", "rtm"}},
			{Name: "Broadwell-noTSX", Usable: "yes", Vendor: "Intel", Canonical: "Broadwell-v2"},
			{Name: "Haswell", Usable: "no", Vendor: "Intel", Deprecated: true, Blockers: []string{"hle", "rtm", "spec-ctrl"}},
			{Name: "EPYC-Milan", Usable: "unknown", Vendor: "AMD"},
			{Name: "EPYC-Genoa", Usable: "unknown", Vendor: "AMD"},
			{Name: "qemu64", Usable: "unknown", Vendor: "unknown"},
		},
	}
	if diff := cmp.Diff(want, dc); diff != "" {
		t.Errorf("ParseDomCaps mismatch (-want +got):\n%s", diff)
	}
}

func TestParseDomCapsErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr, reason string
	}{
		{"empty", "", "empty input", "nothing to parse"},
		{"blank", " \n\t", "empty input", "whitespace only"},
		{"not xml", "error: failed to connect to the hypervisor", "domainCapabilities", "virsh error text fed by mistake"},
		{"wrong root", "<capabilities><host/></capabilities>", "domainCapabilities", "`virsh capabilities` is a different document"},
		{"truncated", "<domainCapabilities><cpu><mode name='custom'>", "parse domcapabilities", "cut-off output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dc, err := ParseDomCaps([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || dc != nil {
				t.Errorf("ParseDomCaps = %v, %v; want error containing %q (%s)", dc, err, tt.wantErr, tt.reason)
			}
		})
	}
}

func TestParseCPUBaselineOutput(t *testing.T) {
	calls := readFixture(t, "hostmodel-features-kvm")
	if len(calls) != 2 {
		t.Fatalf("fixture has %d calls, want 2", len(calls))
	}
	cpu, err := ParseCPU(calls[1].stdout)
	if err != nil {
		t.Fatal(err)
	}
	if cpu.Mode != "custom" || cpu.Match != "exact" || cpu.Model != "EPYC-Milan" || cpu.Fallback != "forbid" || cpu.Vendor != "AMD" {
		t.Errorf("cpu = %+v", cpu)
	}
	if len(cpu.Features) != 96 {
		t.Errorf("%d features, the fixture lists 50 require + 46 disable", len(cpu.Features))
	}
}

func TestParseCPUErrors(t *testing.T) {
	for _, in := range []string{"", "<domainCapabilities/>", "<cpu><model>"} {
		if c, err := ParseCPU([]byte(in)); err == nil || c != nil {
			t.Errorf("ParseCPU(%q) = %v, %v; want error", in, c, err)
		}
	}
}

func TestEnabledFeatures(t *testing.T) {
	c := &CPU{Features: []FeaturePolicy{
		{"sse2", "require"}, {"avx", "disable"}, {"aes", "force"}, {"pcid", "optional"},
		{"rtm", "forbid"}, {"sse2", "require"}, {"", "require"}, {"mmx", ""},
	}}
	want := []string{"aes", "mmx", "pcid", "sse2"}
	if diff := cmp.Diff(want, c.EnabledFeatures()); diff != "" {
		t.Errorf("EnabledFeatures (-want +got):\n%s", diff)
	}
}

func TestCustomCPUXML(t *testing.T) {
	tests := []struct {
		name   string
		model  string
		flags  []string
		want   string
		reason string
	}{
		{
			name: "no flags", model: "Westmere",
			want:   "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Westmere</model>\n</cpu>\n",
			reason: "the model alone",
		},
		{
			name: "signs and case", model: "Westmere", flags: []string{"PCID", "+sse4.1", "-avx", "--x2apic", "++aes"},
			want: "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Westmere</model>\n" +
				"  <feature policy='require' name='pcid'/>\n  <feature policy='require' name='sse4.1'/>\n" +
				"  <feature policy='disable' name='avx'/>\n  <feature policy='disable' name='x2apic'/>\n" +
				"  <feature policy='require' name='aes'/>\n</cpu>\n",
			reason: "Nova lower-cases; '-' (lstrip) disables; '+' (lstrip) or bare requires",
		},
		{
			name: "duplicates and blanks", model: "Nehalem", flags: []string{"pcid", " pcid ", "+PCID", "", "  ", "-", "-pcid"},
			want:   "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Nehalem</model>\n  <feature policy='require' name='pcid'/>\n</cpu>\n",
			reason: "one feature per name, first occurrence wins; empty names dropped",
		},
		{
			name: "plus then minus", model: "Westmere", flags: []string{"+-pcid"},
			want:   "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>Westmere</model>\n  <feature policy='require' name='-pcid'/>\n</cpu>\n",
			reason: "Nova only strips '+' when the flag does not start with '-'; libvirt then rejects '-pcid'",
		},
		{
			name: "escaping", model: "A&B<'>", flags: []string{"x'/><evil a='"},
			want: "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>A&amp;B&lt;&#39;&gt;</model>\n" +
				"  <feature policy='require' name='x&#39;/&gt;&lt;evil a=&#39;'/>\n</cpu>\n",
			reason: "names cannot break out of the XML",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(CustomCPUXML(tt.model, tt.flags))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CustomCPUXML (-want +got) (%s):\n%s", tt.reason, diff)
			}
			if _, err := ParseCPU([]byte(got)); err != nil {
				t.Errorf("output is not valid CPU XML: %v", err)
			}
		})
	}
}

func TestHostModelCPUXML(t *testing.T) {
	dc := &DomCaps{HostModel: HostModel{Supported: true, Model: "EPYC-Milan", Vendor: "AMD",
		Features: []FeaturePolicy{{"x2apic", "require"}, {"pni", "disable"}}}}
	want := "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>EPYC-Milan</model>\n  <vendor>AMD</vendor>\n" +
		"  <feature policy='require' name='x2apic'/>\n  <feature policy='disable' name='pni'/>\n</cpu>\n"
	if diff := cmp.Diff(want, string(dc.HostModelCPUXML())); diff != "" {
		t.Errorf("HostModelCPUXML (-want +got):\n%s", diff)
	}
}

func BenchmarkParseDomCaps(b *testing.B) {
	calls, err := parseArchiveFile(fixturePath("domcaps-kvm"))
	if err != nil {
		b.Fatal(err)
	}
	data := calls.Files[1].Data
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseDomCaps(data); err != nil {
			b.Fatal(err)
		}
	}
}
