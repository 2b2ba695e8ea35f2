// Package cputest turns libvirt's real-CPU test data
// (../shared/ref/libvirt/cputestdata) into what this product sees of a
// captured host, for tests only (like refdata, the product never imports
// it). For each host the CPUID dump is decoded into the /proc/cpuinfo flags
// line Linux would print (Linux 6.12 cpufeatures.h table, scattered bits,
// and the synthetic speculation flags the kernel derives per vendor), and
// -enabled.xml / -disabled.xml into libvirt feature names: what QEMU/KVM
// really gave a guest there and what it refused. Nothing here is product
// data.
package cputest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/guestview"
)

// Host is one reference CPU as the product would see it.
type Host struct {
	Name     string
	Vendor   string // libvirt vendor name
	VendorID string
	Family   int
	Model    int
	Stepping int
	Flags    []string        // synthesized /proc/cpuinfo flags line
	Enabled  map[string]bool // what QEMU/KVM gave a guest (libvirt names)
	Disabled map[string]bool // host features QEMU/KVM refused (libvirt names)
	// HostFeatures is the host CPUID in libvirt names.
	HostFeatures map[string]bool
	dir          string
	// QEMU50 is true when the capture was made with QEMU 5.0 or later: its
	// query-cpu-model-expansion (the .json file) lists vmx-* properties,
	// which QEMU 5.0 introduced. Older captures prove no stack version.
	QEMU50 bool
}

// Stack is the hypervisor stack the capture proves: QEMU 5.0 for the
// captures whose model expansion lists QEMU 5.0's vmx-* properties, and no
// kernel version (nothing in libvirt's data names it, and the captures show
// vendor kernels older than some of their features' first mainline
// release: the Core i7-8550U's lacks Linux 5.6's synthesized AMD bits).
// The synthesized /proc/cpuinfo uses Linux 6.12's names, so the capture's
// flags prove nothing about the kernel that made the data either.
func (h Host) Stack() guestview.Stack {
	if h.QEMU50 {
		return guestview.Stack{Linux: guestview.StackUnknown, QEMU: "5.0"}
	}
	return guestview.Stack{Linux: guestview.StackUnknown, QEMU: guestview.StackUnknown}
}

func vendorString(d CPUData) string {
	regs := d.cpuid[cpuidKey{0, 0}]
	var b []byte
	for _, r := range []string{"EBX", "EDX", "ECX"} {
		v := regs[r]
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return string(b)
}

func signature(d CPUData) (family, model, stepping int) {
	eax := d.cpuid[cpuidKey{1, 0}]["EAX"]
	family = int(eax>>8) & 0xf
	model = int(eax>>4) & 0xf
	stepping = int(eax) & 0xf
	if family == 0xf {
		family += int(eax>>20) & 0xff
	}
	if family == 0x6 || family >= 0xf {
		model |= (int(eax>>16) & 0xf) << 4
	}
	return
}

// synthesizeFlags builds the flags line Linux prints for this CPUID dump:
// every visible flag with a CPUID position, plus the synthetic speculation
// flags (arch/x86/kernel/cpu/common.c init_speculation_control) and the
// TSC flags derived from the invariant-TSC bit.
func (r *Set) synthesizeFlags(d CPUData, vendorID string) []string {
	set := map[string]bool{}
	for _, b := range r.linuxFlags {
		if d.bit(b.leaf, b.sub, b.reg, b.bit) {
			set[b.name] = true
		}
	}
	intel := vendorID == "GenuineIntel"
	if intel {
		if d.bit(7, 0, "EDX", 26) { // SPEC_CTRL
			set["ibrs"], set["ibpb"] = true, true
		}
		if d.bit(7, 0, "EDX", 27) {
			set["stibp"] = true
		}
		if d.bit(7, 0, "EDX", 31) {
			set["ssbd"] = true
		}
		if v, ok := d.msr[0x10a]; ok && v&2 != 0 {
			set["ibrs_enhanced"] = true
		}
	} else {
		if d.bit(0x80000008, 0, "EBX", 12) {
			set["ibpb"] = true
		}
		if d.bit(0x80000008, 0, "EBX", 14) {
			set["ibrs"] = true
		}
		if d.bit(0x80000008, 0, "EBX", 15) {
			set["stibp"] = true
		}
		if d.bit(0x80000008, 0, "EBX", 24) || d.bit(0x80000008, 0, "EBX", 25) {
			set["ssbd"] = true
		}
	}
	if d.bit(0x80000007, 0, "EDX", 8) {
		set["constant_tsc"], set["nonstop_tsc"] = true, true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

var libvirtVendor = map[string]string{"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}

// Hosts returns the reference hosts that have -enabled.xml and
// -disabled.xml, sorted by name.
func Hosts(t testing.TB, r *Set) []Host {
	t.Helper()
	dir := filepath.Join(r.dir, "libvirt", "cputestdata")
	matches, err := filepath.Glob(filepath.Join(dir, "x86_64-cpuid-*-enabled.xml"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no -enabled.xml files in %s (%v)", dir, err)
	}
	var hosts []Host
	for _, m := range matches {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "x86_64-cpuid-"), "-enabled.xml")
		dump := ReadCPUData(t, filepath.Join(dir, "x86_64-cpuid-"+name+".xml"))
		vid := vendorString(dump)
		fam, mod, step := signature(dump)
		expansion, err := os.ReadFile(filepath.Join(dir, "x86_64-cpuid-"+name+".json"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hosts = append(hosts, Host{
			QEMU50: strings.Contains(string(expansion), `"vmx-`),
			Name:   name, Vendor: libvirtVendor[vid], VendorID: vid, Family: fam, Model: mod, Stepping: step,
			Flags:        r.synthesizeFlags(dump, vid),
			Enabled:      r.LibvirtNames(ReadCPUData(t, m)),
			Disabled:     r.LibvirtNames(ReadCPUData(t, filepath.Join(dir, "x86_64-cpuid-"+name+"-disabled.xml"))),
			HostFeatures: r.LibvirtNames(dump),
			dir:          dir,
		})
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].Name < hosts[j].Name })
	return hosts
}

// File returns the path of the host's cputestdata file with the given
// suffix ("-host.xml", "-json.xml", ".xml").
func (h Host) File(suffix string) string {
	return filepath.Join(h.dir, "x86_64-cpuid-"+h.Name+suffix)
}

// DomCapsXML wraps the host's -json.xml (libvirt's host-model CPU built
// from QEMU's expansion on that host) into the `virsh domcapabilities`
// document a hypervisor with that CPU would print (CPU part only).
func (h Host) DomCapsXML(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(h.File("-json.xml"))
	if err != nil {
		t.Fatalf("read %s: %v", h.File("-json.xml"), err)
	}
	inner := string(b)
	model := regexp.MustCompile(`<model[^>]*>([^<]+)</model>`).FindStringSubmatch(inner)
	vendor := regexp.MustCompile(`<vendor>([^<]+)</vendor>`).FindStringSubmatch(inner)
	if model == nil || vendor == nil {
		t.Fatalf("%s: no model or vendor", h.File("-json.xml"))
	}
	var feats strings.Builder
	for _, m := range regexp.MustCompile(`<feature policy='([a-z]+)' name='([^']+)'/>`).FindAllStringSubmatch(inner, -1) {
		fmt.Fprintf(&feats, "      <feature policy='%s' name='%s'/>\n", m[1], m[2])
	}
	return []byte(fmt.Sprintf(`<domainCapabilities>
  <path>/usr/bin/qemu-system-x86_64</path>
  <domain>kvm</domain>
  <machine>pc-q35-9.2</machine>
  <arch>x86_64</arch>
  <cpu>
    <mode name='host-passthrough' supported='yes'/>
    <mode name='host-model' supported='yes'>
      <model fallback='forbid'>%s</model>
      <vendor>%s</vendor>
%s    </mode>
    <mode name='custom' supported='yes'>
      <model usable='yes' vendor='%s'>%s</model>
    </mode>
  </cpu>
</domainCapabilities>
`, model[1], vendor[1], feats.String(), vendor[1], model[1]))
}

// CPUInfoText renders the host as one /proc/cpuinfo block.
func (h Host) CPUInfoText() string {
	return fmt.Sprintf("processor\t: 0\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\nmodel name\t: %s (libvirt cputestdata)\nstepping\t: %d\nflags\t\t: %s\n\n",
		h.VendorID, h.Family, h.Model, h.Name, h.Stepping, strings.Join(h.Flags, " "))
}

// Parsed parses the synthesized capture exactly as a captured file is parsed.
func (h Host) Parsed(t testing.TB) *cpuinfo.CPU {
	t.Helper()
	cpu, err := cpuinfo.Parse([]byte(h.CPUInfoText()), "")
	if err != nil {
		t.Fatalf("%s: synthesized cpuinfo does not parse: %v", h.Name, err)
	}
	return cpu
}

// Translated is the capture in libvirt names (featnames.Translate).
func (h Host) Translated(t testing.TB) featnames.Translation {
	cpu := h.Parsed(t)
	return featnames.Builtin().Translate(cpu.Flags, cpu.Vendor)
}
