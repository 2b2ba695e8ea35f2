package cpumodels

import (
	"fmt"
	"slices"
	"strings"
)

// Bits is where a feature lives: a CPUID leaf/subleaf register mask or an MSR
// bit mask, as written in x86_features.xml.
type Bits struct {
	// MSR is true for <msr index=…>, false for <cpuid eax_in=…>.
	MSR bool
	// Leaf is the CPUID eax_in, or the MSR index when MSR is true.
	Leaf uint32
	// Subleaf is the CPUID ecx_in (0 when absent or for MSRs).
	Subleaf uint32
	// EAX, EBX, ECX, EDX are the register masks (an MSR uses EAX for bits
	// 0-31 and EDX for bits 32-63).
	EAX, EBX, ECX, EDX uint32
}

// Feature is one libvirt CPU feature from x86_features.xml.
type Feature struct {
	// Name is libvirt's canonical name (e.g. "pclmuldq", "sse4.1").
	Name string
	// Migratable is false for features marked migratable='no' (invtsc, xsaves).
	Migratable bool
	// MSR is true when the feature is an MSR bit (vmx-* controls,
	// arch-capabilities bits): /proc/cpuinfo never shows these.
	MSR bool
	// Aliases lists the other accepted names, sorted.
	Aliases []string
	// LinuxAliases is the subset of Aliases marked source='linux' (names as
	// printed by the kernel, e.g. "sse4_1", "arch_capabilities").
	LinuxAliases []string
	// Bits locates the feature in CPUID or MSR space (one entry in practice).
	Bits []Bits
}

// Signature is a CPUID family/model (and optional stepping list) a model is
// the best match for.
type Signature struct {
	Family, Model int
	// Stepping is libvirt's stepping list ("" = any, "5-7", "0,2-3").
	Stepping string
}

// String formats the signature like libvirt's XML attributes.
func (s Signature) String() string {
	if s.Stepping == "" {
		return fmt.Sprintf("family=%d model=%d", s.Family, s.Model)
	}
	return fmt.Sprintf("family=%d model=%d stepping=%s", s.Family, s.Model, s.Stepping)
}

// Model is one libvirt CPU model, fully expanded.
type Model struct {
	// Name is the model name as libvirt spells it (Nova matches it
	// case-insensitively).
	Name string
	// Vendor is libvirt's vendor name: "Intel", "AMD", "Hygon", newer
	// libvirt also "Zhaoxin CentaurHauls"; "" for generic models (qemu64…).
	// Catalog.Vendors maps it to the CPUID vendor string.
	Vendor string
	// Parent is the model this one inherits from, or "".
	Parent string
	// AliasOf is set when the model is nothing but a reference to Parent
	// (the x86_X-vN.xml files): same features, vendor, signatures.
	AliasOf string
	// Group is the index.xml <group> the model was listed in ("" if none).
	Group string
	// Features is the expanded feature list (parent chain followed, removals
	// applied), sorted, canonical libvirt names.
	Features []string
	// Added lists the members of Features marked added='yes' (added to the
	// model after its introduction; older libvirt lacks them), sorted.
	Added []string
	// Removed lists features marked removed='yes' (not in Features), sorted.
	Removed []string
	// Signatures are the CPU signatures the model is the best match for.
	Signatures []Signature
	// DecodeHost and DecodeGuest tell whether libvirt may pick this model
	// when describing a host CPU / a guest CPU.
	DecodeHost, DecodeGuest bool
	// CheckPartial is the <check partial='…'/> value, "" when absent.
	CheckPartial string

	// msr marks the members of Features that are MSR features; set by the
	// catalog that built the model.
	msr map[string]bool
}

// IsVMXControl reports whether name is a libvirt vmx-* nested-virtualization
// control (an MSR feature that /proc/cpuinfo's flags line never shows). The
// CPUID feature "vmx" itself is not a control.
func IsVMXControl(name string) bool {
	return strings.HasPrefix(name, "vmx-")
}

// HasFeature reports whether the expanded model contains the feature
// (canonical name).
func (m *Model) HasFeature(name string) bool {
	_, ok := slices.BinarySearch(m.Features, name)
	return ok
}

// CPUIDFeatures returns Features minus the MSR features (all vmx-* controls
// and the arch-capabilities/core-capability bits): the part of the model a
// host view from /proc/cpuinfo or lscpu can be checked against. For a Model
// not built by a Catalog only the vmx-* controls and the MSR features known
// to Builtin are dropped.
func (m *Model) CPUIDFeatures() []string {
	isMSR := m.msr
	if isMSR == nil {
		isMSR = builtinMSRNames()
	}
	out := make([]string, 0, len(m.Features))
	for _, f := range m.Features {
		if !isMSR[f] && !IsVMXControl(f) {
			out = append(out, f)
		}
	}
	return out
}

// HostSource says where a host's CPU feature view came from.
type HostSource int

const (
	// FromCPUInfo is /proc/cpuinfo or lscpu: no MSR features, no vmx-*.
	FromCPUInfo HostSource = iota
	// FromLibvirt is libvirt's domcapabilities/capabilities: MSR features
	// and vmx-* controls are reported.
	FromLibvirt
)

// Required returns the features a host described by src must offer to run
// the model: CPUIDFeatures for FromCPUInfo, Features for FromLibvirt.
func (m *Model) Required(src HostSource) []string {
	if src == FromLibvirt {
		return slices.Clone(m.Features)
	}
	return m.CPUIDFeatures()
}

// clone returns a deep copy.
func (m *Model) clone() *Model {
	c := *m
	c.Features = slices.Clone(m.Features)
	c.Added = slices.Clone(m.Added)
	c.Removed = slices.Clone(m.Removed)
	c.Signatures = slices.Clone(m.Signatures)
	return &c
}

// Catalog is a set of libvirt x86 CPU models and features.
type Catalog struct {
	// Source names where the catalog came from (a directory, or
	// "libvirt 11.3.0 …" for Builtin).
	Source string
	// Features maps canonical feature names to their definition.
	Features map[string]Feature
	// Models maps model names (libvirt spelling) to the expanded model.
	Models map[string]*Model
	// Vendors maps libvirt vendor names to CPUID vendor strings
	// ("Intel" → "GenuineIntel").
	Vendors map[string]string
	// Order lists model names in cpu_map order (libvirt tries them newest
	// last, i.e. it walks this list backwards when decoding a host CPU).
	Order []string
	// Warnings lists elements or attributes the parser did not know and
	// ignored (a newer cpu_map format); empty for Builtin.
	Warnings []string

	lower map[string]string // lower-cased model name → name
	alias map[string]string // alias or name → canonical feature name
}

// index (re)builds the lookup tables.
func (c *Catalog) index() {
	c.lower = make(map[string]string, len(c.Models))
	for name := range c.Models {
		c.lower[strings.ToLower(name)] = name
	}
	c.alias = make(map[string]string, len(c.Features)*2)
	for name, f := range c.Features {
		for _, a := range f.Aliases {
			if _, ok := c.alias[a]; !ok {
				c.alias[a] = name
			}
		}
	}
	for name := range c.Features {
		c.alias[name] = name // canonical names win over aliases
	}
}

// Lookup finds a model by name, case-insensitively, as Nova's
// _get_cpu_model_mapping does.
func (c *Catalog) Lookup(name string) (*Model, bool) {
	if m, ok := c.Models[name]; ok {
		return m, true
	}
	low := strings.ToLower(name)
	if c.lower != nil {
		if real, ok := c.lower[low]; ok {
			return c.Models[real], true
		}
		return nil, false
	}
	for n, m := range c.Models {
		if strings.ToLower(n) == low {
			return m, true
		}
	}
	return nil, false
}

// Feature finds a feature by canonical name or alias ("pclmulqdq" finds
// "pclmuldq").
func (c *Catalog) Feature(name string) (Feature, bool) {
	if f, ok := c.Features[name]; ok {
		return f, true
	}
	if c.alias != nil {
		if canon, ok := c.alias[name]; ok {
			return c.Features[canon], true
		}
		return Feature{}, false
	}
	for _, f := range c.Features {
		if slices.Contains(f.Aliases, name) {
			return f, true
		}
	}
	return Feature{}, false
}

// Canonical returns libvirt's canonical name for a feature name or alias.
func (c *Catalog) Canonical(name string) (string, bool) {
	f, ok := c.Feature(name)
	return f.Name, ok
}

// ModelNames returns the model names, sorted.
func (c *Catalog) ModelNames() []string {
	out := make([]string, 0, len(c.Models))
	for n := range c.Models {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// FeatureNames returns the canonical feature names, sorted.
func (c *Catalog) FeatureNames() []string {
	out := make([]string, 0, len(c.Features))
	for n := range c.Features {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Clone returns a deep copy of the catalog.
func (c *Catalog) Clone() *Catalog {
	out := &Catalog{
		Source:   c.Source,
		Features: make(map[string]Feature, len(c.Features)),
		Models:   make(map[string]*Model, len(c.Models)),
		Vendors:  make(map[string]string, len(c.Vendors)),
		Order:    slices.Clone(c.Order),
		Warnings: slices.Clone(c.Warnings),
	}
	for k, f := range c.Features {
		f.Aliases = slices.Clone(f.Aliases)
		f.LinuxAliases = slices.Clone(f.LinuxAliases)
		f.Bits = slices.Clone(f.Bits)
		out.Features[k] = f
	}
	for k, m := range c.Models {
		out.Models[k] = m.clone()
	}
	for k, v := range c.Vendors {
		out.Vendors[k] = v
	}
	out.index()
	return out
}
