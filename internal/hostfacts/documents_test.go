package hostfacts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/cputest"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/guestview"
)

func fromFile(t *testing.T, path string, pred Prediction) *Facts {
	t.Helper()
	f, err := Gather(context.Background(), Options{Src: path, Libvirt: LibvirtNever, Prediction: pred})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func notIn(feats []string, set map[string]bool) []string {
	var out []string
	for _, f := range feats {
		if !set[f] {
			out = append(out, f)
		}
	}
	return out
}

func inSet(feats []string, set map[string]bool) []string {
	var out []string
	for _, f := range feats {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

// TestReferenceHostXML reads libvirt's -host.xml of the 51 reference CPUs
// (a host <cpu>: a model plus the features beyond it), expands the model
// with the CPU map and predicts: no predicted feature is one QEMU/KVM
// refused on that host. The expanded host features must include what the
// model alone gives (the list without the model would lose them).
func TestReferenceHostXML(t *testing.T) {
	r := cputest.Load(t)
	for _, h := range cputest.Hosts(t, r) {
		f := fromFile(t, h.File("-host.xml"), Prediction{Guest: guestview.Options{Stack: h.Stack()}})
		if f.Format != cpuinfo.FormatLibvirtCPU || f.TrustedView != ViewPredicted || f.GuestView == nil {
			t.Fatalf("%s: format %s view %s", h.Name, f.Format, f.TrustedView)
		}
		if fp := inSet(f.TrustedFeatures, h.Disabled); len(fp) > 0 {
			t.Errorf("%s (-host.xml): predicted features QEMU/KVM disabled: %v", h.Name, fp)
		}
		// The host features: the CPUID dump decoded, minus what libvirt
		// itself never puts in a host CPU (vmx-* controls, MSR features).
		missing := 0
		for feat := range h.HostFeatures {
			if !slices.Contains(f.Features, feat) && !cputest.IsMSRFeature(r, feat) {
				missing++
			}
		}
		if missing > len(h.HostFeatures)/10 {
			t.Errorf("%s: the expanded -host.xml lacks %d of the %d features of its CPUID dump; the model was not expanded?", h.Name, missing, len(h.HostFeatures))
		}
		if len(f.LinuxFlags) < 20 || !slices.Contains(f.LinuxFlags, "sse2") {
			t.Errorf("%s: linux_flags not derived: %v", h.Name, f.LinuxFlags)
		}
	}
}

// TestReferenceDomCaps feeds each reference CPU's libvirt host-model (its
// -json.xml) as the `virsh domcapabilities` document a hypervisor with that
// CPU prints: the facts carry libvirt's view, trusted, with nothing
// QEMU/KVM refused there; the clusters' common libvirt views are enabled on
// every member.
func TestReferenceDomCaps(t *testing.T) {
	r := cputest.Load(t)
	dir := t.TempDir()
	hosts := cputest.Hosts(t, r)
	views := map[string][]string{}
	for _, h := range hosts {
		path := filepath.Join(dir, h.Name+".domcaps.xml")
		if err := os.WriteFile(path, h.DomCapsXML(t), 0o644); err != nil {
			t.Fatal(err)
		}
		f := fromFile(t, path, Prediction{})
		if f.Format != cpuinfo.FormatDomCaps || f.TrustedView != ViewLibvirt || !f.Libvirt.Available || f.GuestView != nil {
			t.Fatalf("%s: format %s view %s libvirt %+v", h.Name, f.Format, f.TrustedView, f.Libvirt)
		}
		if len(f.Libvirt.Models) != 1 || f.Libvirt.UsableModels[0] != f.Libvirt.HostModel {
			t.Errorf("%s: model usability not read: %+v", h.Name, f.Libvirt.Models)
		}
		if fp := inSet(f.TrustedFeatures, h.Disabled); len(fp) > 0 {
			t.Errorf("%s (domcapabilities): libvirt view has features QEMU/KVM disabled: %v", h.Name, fp)
		}
		if ne := notIn(f.TrustedFeatures, h.Enabled); len(ne) > 0 && !allVMX(ne) {
			t.Logf("%s: libvirt view beyond -enabled.xml (CPU map 11.3 vs the capture's libvirt): %v", h.Name, ne)
		}
		views[h.Name] = f.TrustedFeatures
	}
	// Clusters in domcapabilities form: every same-vendor pair of
	// libvirt's cpuid-baseline cases plus a mixed one.
	for _, c := range [][]string{
		{"Xeon-Platinum-8268", "Ice-Lake-Server"}, {"EPYC-7601-32-Core", "EPYC-7502-32-Core"},
		{"Xeon-Platinum-8268", "Ice-Lake-Server", "EPYC-7502-32-Core"}, {"Xeon-E5-2609-v3", "Xeon-Gold-6130"},
	} {
		common := map[string]int{}
		for _, m := range c {
			for _, feat := range views[m] {
				common[feat]++
			}
		}
		for _, h := range hosts {
			if !slices.Contains(c, h.Name) {
				continue
			}
			for feat, n := range common {
				if n == len(c) && h.Disabled[feat] {
					t.Errorf("cluster %v: common libvirt feature %s disabled on %s", c, feat, h.Name)
				}
			}
		}
	}
}

func allVMX(feats []string) bool {
	for _, f := range feats {
		if !cpumodels.IsVMXControl(f) {
			return false
		}
	}
	return true
}

// TestCapabilitiesExpandsTheModel is the OpenNebula pitfall: `virsh
// capabilities` lists only the features beyond the host's model; the facts
// hold the model's features too.
func TestCapabilitiesExpandsTheModel(t *testing.T) {
	doc := `<capabilities>
  <host>
    <uuid>00000000-0000-0000-0000-000000000000</uuid>
    <cpu>
      <arch>x86_64</arch>
      <model>Haswell-noTSX-IBRS</model>
      <vendor>Intel</vendor>
      <microcode version='73'/>
      <signature family='6' model='63' stepping='2'/>
      <counter name='tsc' frequency='2399999000' scaling='no'/>
      <topology sockets='1' dies='1' cores='8' threads='2'/>
      <feature name='vme'/>
      <feature name='ds'/>
      <feature name='vmx'/>
      <feature name='pdcm'/>
      <feature name='arat'/>
      <feature name='invtsc'/>
      <pages unit='KiB' size='4'/>
    </cpu>
  </host>
</capabilities>`
	path := filepath.Join(t.TempDir(), "caps.xml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	f := fromFile(t, path, Prediction{})
	if f.Format != cpuinfo.FormatCapabilities || f.TrustedView != ViewPredicted {
		t.Fatalf("format %s view %s", f.Format, f.TrustedView)
	}
	if f.Family == nil || *f.Family != 6 || f.Model == nil || *f.Model != 63 || f.Microcode != "73" || f.Vendor != "Intel" {
		t.Errorf("identity: %+v %v %v %q", f.Vendor, f.Family, f.Model, f.Microcode)
	}
	for _, feat := range []string{"avx2", "fma", "spec-ctrl", "sse4.2", "vme", "ds", "vmx"} {
		if !slices.Contains(f.Features, feat) {
			t.Errorf("%s missing: the model (avx2, fma, spec-ctrl...) or the listed features were not expanded: %v", feat, f.Features)
		}
	}
	for _, feat := range []string{"ds", "vmx", "pdcm", "invtsc"} {
		if slices.Contains(f.TrustedFeatures, feat) {
			t.Errorf("%s is in the predicted guest view", feat)
		}
	}
	if !slices.Contains(f.TrustedFeatures, "avx2") || !slices.Contains(f.TrustedFeatures, "hypervisor") {
		t.Errorf("predicted view: %v", f.TrustedFeatures)
	}
	if !slices.Contains(f.LinuxFlags, "avx2") || !slices.Contains(f.LinuxFlags, "sse4_2") {
		t.Errorf("linux flags: %v", f.LinuxFlags)
	}
}

func TestDocumentErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, doc, format, want string
	}{
		{"unknown-root", "<domain type='kvm'/>", "", "root element <domain>"},
		{"no-host-model", "<domainCapabilities><cpu><mode name='host-model' supported='no'/></cpu></domainCapabilities>", "", "no supported host-model"},
		{"unknown-model", "<cpu><arch>x86_64</arch><model>NoSuchCPU-v9</model><vendor>Intel</vendor></cpu>", "", "CPU model NoSuchCPU-v9 is not in the CPU map"},
		{"not-x86", "<cpu><arch>aarch64</arch><model>cortex-a57</model></cpu>", "", "not an x86-64 host"},
		{"format-mismatch", "<capabilities><host><cpu><arch>x86_64</arch><model>Westmere</model></cpu></host></capabilities>", "domcapabilities", "format domcapabilities was asked for"},
		{"truncated", "<domainCapabilities><cpu><mode name='host-model'", "", "XML syntax error"},
		{"no-host-cpu", "<capabilities><guest/></capabilities>", "", "no <host><cpu> element"},
		{"bad-policy", "<cpu mode='custom'><model>Westmere</model><feature policy='maybe' name='aes'/></cpu>", "", ""},
		{"xml-as-cpuinfo", "<capabilities/>", "cpuinfo", "libvirt XML document"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".xml")
			if err := os.WriteFile(path, []byte(tt.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			format, err := cpuinfo.ParseFormat(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Gather(context.Background(), Options{Src: path, Format: format, Libvirt: LibvirtNever})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if f == nil {
					t.Fatal("no facts")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("the error does not name the input: %v", err)
			}
		})
	}
}

// TestLiveDomCapsRoundTrip captures this machine's real `virsh
// domcapabilities` and reads it back: the same trusted features and model
// usability as asking libvirt live. It skips without libvirt, unless
// CPUFLAGS_REQUIRE_LIBVIRT=1.
func TestLiveDomCapsRoundTrip(t *testing.T) {
	live, err := Gather(context.Background(), Options{Libvirt: LibvirtAlways, LibvirtURI: "qemu:///system", VirtType: "kvm",
		CPUMapDir: "/usr/share/libvirt/cpu_map"})
	if err != nil {
		if os.Getenv("CPUFLAGS_REQUIRE_LIBVIRT") == "1" {
			t.Fatalf("libvirt required: %v", err)
		}
		t.Skipf("libvirt unreachable: %v", err)
	}
	out, err := exec.Command("virsh", "-c", "qemu:///system", "domcapabilities", "--virttype", "kvm").Output()
	if err != nil {
		t.Fatalf("virsh domcapabilities: %v", err)
	}
	path := filepath.Join(t.TempDir(), "this-host.domcaps.xml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	captured := fromFile(t, path, Prediction{})
	if captured.TrustedView != ViewLibvirt {
		t.Fatalf("captured domcapabilities: view %s", captured.TrustedView)
	}
	want, got := slices.Clone(live.TrustedFeatures), slices.Clone(captured.TrustedFeatures)
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(want, got) {
		t.Errorf("captured domcapabilities expand to other features than live libvirt:\nlive only: %v\ncapture only: %v",
			notIn(want, toSet(got)), notIn(got, toSet(want)))
	}
	if len(live.Libvirt.Models) != len(captured.Libvirt.Models) {
		t.Fatalf("models: live %d, captured %d", len(live.Libvirt.Models), len(captured.Libvirt.Models))
	}
	for i, m := range live.Libvirt.Models {
		c := captured.Libvirt.Models[i]
		if m.Name != c.Name || m.Usable != c.Usable || !slices.Equal(m.Blockers, c.Blockers) {
			t.Errorf("model %s: live %+v, captured %+v", m.Name, m, c)
		}
	}
}

func toSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

func FuzzFromDocument(f *testing.F) {
	for _, seed := range []string{
		"<domainCapabilities><cpu><mode name='host-model' supported='yes'><model>EPYC-Rome</model><vendor>AMD</vendor><feature policy='disable' name='xsaves'/></mode></cpu></domainCapabilities>",
		"<capabilities><host><cpu><arch>x86_64</arch><model>Westmere</model><vendor>Intel</vendor><signature family='6' model='44' stepping='2'/><feature name='vmx'/></cpu></host></capabilities>",
		"<cpu><arch>x86_64</arch><model>Skylake-Client-IBRS</model><vendor>Intel</vendor><feature name='ds'/></cpu>",
		"<cpu mode='custom' match='exact'><model fallback='forbid'>Westmere</model><feature policy='require' name='aes'/></cpu>",
		"<cpu/>", "<x/>", "<", "",
	} {
		f.Add([]byte(seed))
	}
	table, cat := featnames.Builtin(), cpumodels.Builtin()
	f.Fuzz(func(t *testing.T, data []byte) {
		facts, err := FromDocument("fuzz.xml", data, "", table, cat, Prediction{})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.xml") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		if facts.TrustedView != ViewLibvirt && facts.TrustedView != ViewPredicted {
			t.Fatalf("view %q", facts.TrustedView)
		}
		if facts.TrustedFeatures == nil || facts.LinuxFlags == nil || facts.Features == nil {
			t.Fatal("nil feature lists")
		}
	})
}
