// Package featnames translates Linux /proc/cpuinfo flag names into libvirt
// CPU feature names and explains every Linux flag that has no libvirt
// feature a guest could be given.
//
// The table is generated from the shared reference data (Linux 6.12
// cpufeatures.h, libvirt 11.3.0 cpu_map) by ./gen and committed as
// zz_generated_table.go; the product never reads the reference data.
package featnames

//go:generate go run ./gen

import (
	"sort"
	"strings"
	"sync"
)

// Reason says why a Linux flag (or libvirt feature) is not a feature to give a guest.
type Reason string

// Reasons for an Exclusion.
const (
	// ReasonSynthetic: Linux-defined state with no CPUID bit (constant_tsc, rep_good, nopl, xtopology...).
	ReasonSynthetic Reason = "kernel-synthetic"
	// ReasonKernelDerived: ibrs/ibpb/stibp/ssbd (word 7) and friends, whose CPUID source differs by vendor.
	ReasonKernelDerived Reason = "kernel-derived"
	// ReasonNotMigratable: maps to a libvirt feature that blocks migration (nonstop_tsc = invtsc).
	ReasonNotMigratable Reason = "not-migratable"
	// ReasonHostOnly: a real CPUID bit (or host facility) that KVM never gives a guest.
	ReasonHostOnly Reason = "host-only"
	// ReasonOSState: reflects the running OS or hypervisor (osxsave, ospke, hypervisor).
	ReasonOSState Reason = "os-state"
	// ReasonVirtCapability: the host's own VMX/SVM capabilities (tpr_shadow, ept, vpid, vmmcall...).
	ReasonVirtCapability Reason = "virt-capability"
	// ReasonMitigation: a speculation mitigation the running kernel chose (pti, retpoline...).
	ReasonMitigation Reason = "mitigation-state"
	// ReasonNoLibvirtFeature: a real CPUID bit that libvirt has no feature name for.
	ReasonNoLibvirtFeature Reason = "no-libvirt-feature"
	// ReasonUnknown: no libvirt feature known (e.g. a newer kernel's name, or a
	// feature the host's libvirt does not define).
	ReasonUnknown Reason = "unknown"
)

// Exclusion explains why a Linux flag is not translated to a guest feature.
type Exclusion struct {
	Flag   string `json:"flag"`
	Reason Reason `json:"reason"`
	Detail string `json:"detail"` // human sentence
}

// Derivation records a libvirt feature inferred from kernel-derived flags.
type Derivation struct {
	Feature string   `json:"feature"`
	From    []string `json:"from"`
	Detail  string   `json:"detail"`
}

// Translation is the result of Table.Translate.
type Translation struct {
	Features []string     `json:"features"`
	Excluded []Exclusion  `json:"excluded"`
	Derived  []Derivation `json:"derived,omitempty"`
}

// Rows of the generated table.
type flagRow struct {
	linux, libvirt string
	reason         Reason
	detail         string
}

type featureRow struct {
	name       string
	migratable bool
}

type aliasRow struct {
	alias, libvirt, kind string
}

type guestRow struct {
	libvirt, flag string
	reason        Reason
	detail        string
}

// Table translates between Linux, QEMU and libvirt feature names. It is
// immutable and safe for concurrent use.
type Table struct {
	flags      map[string]flagRow
	migratable map[string]bool // libvirt feature -> migratable
	canon      map[string]string
	guest      map[string]Exclusion
	host       map[string]bool // non-nil: the host libvirt's own feature list
	hostSource string
	source     string

	reverseOnce *sync.Once
	reverse     map[string]string
}

var builtin = newBuiltin()

// Builtin returns the table generated from the reference data.
func Builtin() *Table { return builtin }

func newBuiltin() *Table {
	t := &Table{
		flags:      make(map[string]flagRow, len(generatedFlags)),
		migratable: make(map[string]bool, len(generatedFeatures)),
		canon:      map[string]string{},
		guest:      make(map[string]Exclusion, len(generatedGuest)),
		source:     generatedSource,

		reverseOnce: &sync.Once{},
	}
	for _, f := range generatedFlags {
		t.flags[f.linux] = f
	}
	for _, f := range generatedFeatures {
		t.migratable[f.name] = f.migratable
	}
	for _, g := range generatedGuest {
		t.guest[g.libvirt] = Exclusion{Flag: g.flag, Reason: g.reason, Detail: g.detail}
	}
	// Canonical: lowest priority first, so higher priorities overwrite.
	for _, a := range generatedAliases {
		if a.kind == "qemu" {
			t.canon[strings.ToLower(a.alias)] = a.libvirt
		}
	}
	for _, f := range generatedFlags {
		if f.libvirt != "" {
			t.canon[strings.ToLower(f.linux)] = f.libvirt
		}
	}
	for _, a := range generatedAliases {
		if a.kind != "qemu" {
			t.canon[strings.ToLower(a.alias)] = a.libvirt
		}
	}
	for _, f := range generatedFeatures {
		t.canon[strings.ToLower(f.name)] = f.name
	}
	return t
}

// Source names the data the table was built from.
func (t *Table) Source() string { return t.source }

// WithLibvirtFeatures returns a copy of t restricted to the libvirt features a
// host's own libvirt defines (its cpu_map). Translate then excludes mapped
// flags whose feature is not in names, with ReasonUnknown and a Detail naming
// source (e.g. "libvirt 9.0.0 on this host").
func (t *Table) WithLibvirtFeatures(names []string, source string) *Table {
	c := *t
	c.host = make(map[string]bool, len(names))
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			c.host[n] = true
		}
	}
	c.source = t.source + "; restricted to " + source
	c.hostSource = source
	c.reverseOnce, c.reverse = &sync.Once{}, nil
	return &c
}

// Known reports whether libvirtName is a libvirt feature (of the host's
// libvirt, when the table was restricted with WithLibvirtFeatures).
func (t *Table) Known(libvirtName string) bool {
	if t.host != nil {
		return t.host[libvirtName]
	}
	_, ok := t.migratable[libvirtName]
	return ok
}

// Migratable reports libvirt's own migratable attribute: false for features
// marked migratable='no' in x86_features.xml (invtsc, xsaves) and for
// unknown names.
func (t *Table) Migratable(libvirtName string) bool {
	m, ok := t.migratable[libvirtName]
	return ok && m && t.Known(libvirtName)
}

// Guestable reports whether a libvirt feature may be given to a guest that
// must migrate. It is false for host-only bits (ds, acpi, ht, monitor...),
// OS state (osxsave, ospke, hypervisor), invtsc, and names libvirt does not
// know; the Exclusion explains why.
//
// xsaves is guestable although libvirt marks it migratable='no': libvirt's own
// CPU models (EPYC-Rome, Icelake-Server-v5, SapphireRapids...) contain it and
// only invtsc blocks migration in libvirt/QEMU.
func (t *Table) Guestable(libvirtName string) (bool, Exclusion) {
	if !t.Known(libvirtName) {
		return false, Exclusion{Flag: libvirtName, Reason: ReasonUnknown, Detail: t.unknownDetail(libvirtName)}
	}
	if e, ok := t.guest[libvirtName]; ok {
		return false, e
	}
	return true, Exclusion{}
}

func (t *Table) unknownDetail(libvirtName string) string {
	if t.host != nil {
		return "libvirt feature " + libvirtName + " is not defined by " + t.hostSource + "."
	}
	return "no libvirt feature named " + libvirtName + " is known (" + generatedSource + ")."
}

// LibvirtName returns the libvirt feature a Linux flag joins to 1:1 (by CPUID
// position), even when that feature is not for guests (dts -> ds). It is false
// for kernel-synthetic and kernel-derived flags and for unknown names.
func (t *Table) LibvirtName(linuxFlag string) (string, bool) {
	f, ok := t.flags[linuxFlag]
	if !ok || f.libvirt == "" {
		return "", false
	}
	return f.libvirt, true
}

// LinuxName returns the /proc/cpuinfo flag that translates 1:1 to a libvirt
// feature (the inverse of the generated table), for inputs that come in
// libvirt names; false when no Linux flag maps to it (spec-ctrl: Linux
// shows ibrs/ibpb instead).
func (t *Table) LinuxName(libvirtName string) (string, bool) {
	t.reverseOnce.Do(func() {
		t.reverse = make(map[string]string, len(t.flags))
		for _, f := range t.flags {
			if f.libvirt == "" || f.reason != "" {
				continue
			}
			if old, dup := t.reverse[f.libvirt]; !dup || f.linux < old {
				t.reverse[f.libvirt] = f.linux
			}
		}
	})
	l, ok := t.reverse[libvirtName]
	return l, ok
}

// IsLinuxOnly reports whether a Linux flag has no libvirt feature for a guest,
// and why. Flags that translate to a feature return false.
func (t *Table) IsLinuxOnly(name string) (Exclusion, bool) {
	f, ok := t.flags[name]
	if !ok {
		return Exclusion{Flag: name, Reason: ReasonUnknown, Detail: unknownFlagDetail(name)}, true
	}
	if f.reason == "" {
		return Exclusion{}, false
	}
	return Exclusion{Flag: name, Reason: f.reason, Detail: f.detail}, true
}

// Canonical maps a libvirt name, libvirt alias, QEMU name or Linux flag name
// (case-insensitive; '_' and '-' interchangeable as a fallback) to the
// libvirt feature name. ok is false when nothing matches or when the host's
// libvirt (WithLibvirtFeatures) does not define the feature.
func (t *Table) Canonical(name string) (libvirt string, ok bool) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" {
		return "", false
	}
	lv, found := t.canon[key]
	if !found {
		lv, found = t.canon[strings.ReplaceAll(key, "_", "-")]
	}
	if !found {
		lv, found = t.canon[strings.ReplaceAll(key, "-", "_")]
	}
	if !found || !t.Known(lv) {
		return "", false
	}
	return lv, true
}

// LinuxFlags returns every Linux flag name the table classifies, sorted.
func (t *Table) LinuxFlags() []string {
	out := make([]string, 0, len(t.flags))
	for k := range t.flags {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func unknownFlagDetail(name string) string {
	return "Linux flag " + name + " is not in the Linux 6.12 flag table and no rule covers it (newer kernel name?); no libvirt feature known."
}
