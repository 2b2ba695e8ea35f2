package hostfacts

import (
	"fmt"
	"os"
	"sort"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/x86level"
)

// readCapture reads a captured file, bounded like cpuinfo.ReadFile.
func readCapture(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > cpuinfo.MaxInputSize {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a CPU description can need", path, st.Size(), cpuinfo.MaxInputSize)
	}
	return os.ReadFile(path)
}

// FromDocument builds the facts of a captured libvirt XML document:
//
//   - `virsh domcapabilities` and a guest <cpu> with feature policies
//     (`virsh hypervisor-cpu-baseline --features`, libvirt's -json.xml) are
//     libvirt's own guest view: the host-model expanded with the CPU map
//     (model features, plus require, minus disable), trusted as view libvirt,
//     with every named model's usability and blockers from domcapabilities;
//   - `virsh capabilities` and a host <cpu> (libvirt's -host.xml) describe
//     the host CPU as a model plus the features beyond it: the model is
//     expanded with the CPU map (the list alone would lose every feature
//     the model has, the OpenNebula pitfall) and the predicted guest view
//     is trusted, as for /proc/cpuinfo.
//
// Linux flags are the Linux names of the features (for the brief's flag
// lists); a warning says they are derived.
func FromDocument(source string, data []byte, want cpuinfo.Format, table *featnames.Table, cat *cpumodels.Catalog, pred Prediction) (*Facts, error) {
	kind, err := libvirt.DetectDocument(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	format := formatOf(kind)
	if want != "" && want != format {
		return nil, fmt.Errorf("%s: format %s was asked for, but the document is %s (%s); pass format %q or auto", source, want, kind, format, string(format))
	}
	switch kind {
	case libvirt.DocDomCaps:
		dc, err := libvirt.ParseDomCaps(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		if !dc.HostModel.Supported || dc.HostModel.Model == "" {
			return nil, fmt.Errorf("%s: the domain capabilities (virt type %q) have no supported host-model CPU; capture `virsh domcapabilities --virttype kvm` on the hypervisor itself", source, dc.VirtType)
		}
		f, err := guestFacts(source, format, dc.HostModel.Model, dc.HostModel.Vendor, dc.HostModel.Features, table, cat)
		if err != nil {
			return nil, err
		}
		f.Libvirt.VirtType = dc.VirtType
		f.Libvirt.Models = dc.Models
		f.Libvirt.UsableModels = dc.UsableModels()
		f.Libvirt.Reason = "from a captured `virsh domcapabilities` document (" + dc.Emulator + ", machine " + dc.Machine + ")"
		decideTrust(f, Prediction{Raw: true})
		return f, nil
	case libvirt.DocGuestCPU:
		c, err := libvirt.ParseCPU(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		f, err := guestFacts(source, format, c.Model, c.Vendor, c.Features, table, cat)
		if err != nil {
			return nil, err
		}
		f.Libvirt.Reason = "from a captured guest <cpu> definition (virsh hypervisor-cpu-baseline --features); no model usability in it"
		decideTrust(f, Prediction{Raw: true})
		return f, nil
	default: // DocCapabilities, DocHostCPU
		var h *libvirt.HostCPU
		if kind == libvirt.DocCapabilities {
			caps, err := libvirt.ParseCapabilities(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", source, err)
			}
			h = &caps.HostCPU
		} else if h, err = libvirt.ParseHostCPU(data); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		return hostCPUFacts(source, format, kind, h, table, cat, pred)
	}
}

func formatOf(kind libvirt.DocumentKind) cpuinfo.Format {
	switch kind {
	case libvirt.DocDomCaps:
		return cpuinfo.FormatDomCaps
	case libvirt.DocCapabilities:
		return cpuinfo.FormatCapabilities
	default:
		return cpuinfo.FormatLibvirtCPU
	}
}

// expander turns libvirt's model-plus-features form into the full feature
// list with the CPU map.
type expander struct {
	cat      *cpumodels.Catalog
	table    *featnames.Table
	warnings []string
}

func (e *expander) model(source, name string) (map[string]bool, error) {
	out := map[string]bool{}
	if name == "" {
		return out, nil
	}
	m, ok := e.cat.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%s: CPU model %s is not in the CPU map (%s), so its features are unknown; capture the fully expanded CPU instead: `virsh domcapabilities > dc.xml && virsh hypervisor-cpu-baseline --features dc.xml`", source, name, e.cat.Source)
	}
	for _, f := range m.Features {
		out[f] = true
	}
	return out, nil
}

func (e *expander) canonical(name string) string {
	if f, ok := e.cat.Feature(name); ok {
		return f.Name
	}
	if lv, ok := e.table.Canonical(name); ok {
		return lv
	}
	e.warnings = append(e.warnings, "feature "+name+" is not in the CPU map ("+e.cat.Source+"); kept as named")
	return name
}

func guestFacts(source string, format cpuinfo.Format, model, vendor string, features []libvirt.FeaturePolicy, table *featnames.Table, cat *cpumodels.Catalog) (*Facts, error) {
	e := &expander{cat: cat, table: table}
	set, err := e.model(source, model)
	if err != nil {
		return nil, err
	}
	for _, fp := range features {
		name := e.canonical(fp.Name)
		switch fp.Policy {
		case "disable", "forbid":
			delete(set, name)
		default:
			set[name] = true
		}
	}
	dropVMXControlsWithoutVMX(set)
	feats := sortedSet(set)
	f := documentFacts(source, format, vendor, "libvirt host-model "+model, feats, table)
	f.Warnings = append(f.Warnings, e.warnings...)
	f.Libvirt = LibvirtView{
		Available: true, HostModel: model, HostModelVendor: vendor, HostModelFeature: feats,
	}
	return f, nil
}

func hostCPUFacts(source string, format cpuinfo.Format, kind libvirt.DocumentKind, h *libvirt.HostCPU, table *featnames.Table, cat *cpumodels.Catalog, pred Prediction) (*Facts, error) {
	if h.Arch != "" && h.Arch != "x86_64" && h.Arch != "i686" {
		return nil, fmt.Errorf("%s: %w: the host CPU is %s", source, cpuinfo.ErrNotX86, h.Arch)
	}
	e := &expander{cat: cat, table: table}
	set, err := e.model(source, h.Model)
	if err != nil {
		return nil, err
	}
	for _, n := range h.Features {
		set[e.canonical(n)] = true
	}
	for _, n := range h.Disabled {
		delete(set, e.canonical(n))
	}
	dropVMXControlsWithoutVMX(set)
	f := documentFacts(source, format, h.Vendor, "libvirt host CPU "+h.Model, sortedSet(set), table)
	f.Family, f.Model, f.Stepping, f.Microcode = h.Family, h.ModelNum, h.Stepping, h.Microcode
	f.Warnings = append(f.Warnings, e.warnings...)
	f.Libvirt = LibvirtView{Reason: fmt.Sprintf("a captured host CPU (%s) is the host as it is, not what the hypervisor gives guests; the predicted guest view is trusted", kind)}
	decideTrust(f, pred)
	return f, nil
}

// documentFacts fills what every libvirt document gives: identity, the
// features, their Linux names and the level.
func documentFacts(source string, format cpuinfo.Format, vendor, modelName string, feats []string, table *featnames.Table) *Facts {
	f := &Facts{
		Source:       source,
		Format:       format,
		Architecture: "x86_64",
		Vendor:       vendor,
		VendorID:     vendorID[vendor],
		ModelName:    modelName,
		Features:     nonNil(feats),
		Excluded:     map[string]Excluded{},
		NameTable:    table.Source(),
	}
	var linux []string
	for _, x := range feats {
		if l, ok := table.LinuxName(x); ok {
			linux = append(linux, l)
		}
	}
	sort.Strings(linux)
	f.LinuxFlags = nonNil(linux)
	lvl := x86level.FromFeatures(f.Features)
	f.X86Level = lvl.Name
	f.X86LevelMissing = lvl.MissingForNext
	f.Warnings = append(f.Warnings, "the input is a libvirt document in libvirt feature names; linux_flags are the Linux names of those features (derived, for the brief's flag lists), not a /proc/cpuinfo capture")
	return f
}

// dropVMXControlsWithoutVMX removes vmx-* controls from a CPU without vmx:
// newer CPU maps list VMX controls in old models (kvm64, ...), which a
// libvirt of another version never expanded into a host without VMX.
func dropVMXControlsWithoutVMX(set map[string]bool) {
	if set["vmx"] {
		return
	}
	for f := range set {
		if cpumodels.IsVMXControl(f) {
			delete(set, f)
		}
	}
}

var vendorID = map[string]string{"Intel": "GenuineIntel", "AMD": "AuthenticAMD", "Hygon": "HygonGenuine"}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
