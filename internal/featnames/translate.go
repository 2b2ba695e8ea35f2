package featnames

import (
	"sort"
	"strings"
)

// Vendors accepted by Translate (as in libvirt's x86_vendors.xml).
const (
	VendorIntel = "Intel"
	VendorAMD   = "AMD"
	VendorHygon = "Hygon"
)

// Translate maps a host's Linux flags to libvirt features. Every flag either
// maps to a feature or lands in Excluded with a reason; Features and Excluded
// are sorted, duplicates removed, and no Linux flag appears in both.
//
// The kernel-derived flags ibrs, ibpb, stibp, ssbd and ibrs_enhanced are
// always excluded; where vendor ("Intel", "AMD", "Hygon"; "" when unknown)
// makes their CPUID source certain, the implied libvirt feature is added to
// Features and recorded in Derived:
//
//	Intel: ibrs/ibpb => spec-ctrl, stibp => stibp, ssbd => ssbd (unless virt_ssbd
//	       is visible), ibrs_enhanced => ibrs-all
//	AMD, Hygon: ibpb => ibpb, ibrs => ibrs, stibp => amd-stibp,
//	       ibrs_enhanced => auto-ibrs; ssbd is ambiguous (amd-ssbd, virt-ssbd or
//	       the LS_CFG MSR) and derives nothing.
func (t *Table) Translate(linuxFlags []string, vendor string) Translation {
	present := map[string]bool{}
	for _, f := range linuxFlags {
		f = strings.ToLower(strings.TrimSpace(f))
		if f != "" {
			present[f] = true
		}
	}
	feats := map[string]bool{}
	var excl []Exclusion
	for f := range present {
		row, ok := t.flags[f]
		switch {
		case f == "vnmi" && (vendor == VendorIntel || (vendor == "" && present["vmx"] && !present["svm"])):
			excl = append(excl, Exclusion{Flag: f, Reason: ReasonVirtCapability, Detail: vnmiIntelDetail})
		case !ok:
			excl = append(excl, Exclusion{Flag: f, Reason: ReasonUnknown, Detail: unknownFlagDetail(f)})
		case row.reason == ReasonKernelDerived:
			excl = append(excl, Exclusion{Flag: f, Reason: ReasonKernelDerived, Detail: row.detail + " " + derivedNote(f, vendor, present)})
		case row.reason != "":
			excl = append(excl, Exclusion{Flag: f, Reason: row.reason, Detail: row.detail})
		case !t.Known(row.libvirt):
			excl = append(excl, Exclusion{Flag: f, Reason: ReasonUnknown, Detail: "maps to " + t.unknownDetail(row.libvirt)})
		default:
			feats[row.libvirt] = true
		}
	}
	var derived []Derivation
	for _, d := range derive(vendor, present) {
		if !t.Known(d.Feature) {
			continue // the exclusion of the source flags still explains them
		}
		feats[d.Feature] = true
		derived = append(derived, d)
	}
	out := Translation{Features: make([]string, 0, len(feats)), Excluded: excl, Derived: derived}
	for f := range feats {
		out.Features = append(out.Features, f)
	}
	sort.Strings(out.Features)
	sort.Slice(out.Excluded, func(i, j int) bool { return out.Excluded[i].Flag < out.Excluded[j].Flag })
	sort.Slice(out.Derived, func(i, j int) bool { return out.Derived[i].Feature < out.Derived[j].Feature })
	if out.Excluded == nil {
		out.Excluded = []Exclusion{}
	}
	return out
}

type derivRule struct {
	vendors []string
	from    []string // any of these flags
	unless  string   // not when this flag is present
	feature string
	detail  string
}

var derivRules = []derivRule{
	{[]string{VendorIntel}, []string{"ibpb", "ibrs"}, "", "spec-ctrl",
		"on Intel, Linux sets ibrs and ibpb from SPEC_CTRL, CPUID.(7,0):EDX[26] (libvirt spec-ctrl); Intel CPUs leave the AMD bits 0x80000008 EBX[12,14] clear (all Intel CPUID dumps in libvirt's cputestdata)."},
	{[]string{VendorIntel}, []string{"stibp"}, "", "stibp",
		"on Intel, Linux sets stibp from CPUID.(7,0):EDX[27] (libvirt stibp)."},
	{[]string{VendorIntel}, []string{"ssbd"}, "virt_ssbd", "ssbd",
		"on Intel, Linux sets ssbd from CPUID.(7,0):EDX[31] (libvirt ssbd) when virt_ssbd is absent."},
	{[]string{VendorIntel}, []string{"ibrs_enhanced"}, "", "ibrs-all",
		"on Intel, Linux sets ibrs_enhanced from IA32_ARCH_CAPABILITIES bit 1 IBRS_ALL (libvirt ibrs-all, MSR 0x10a)."},
	{[]string{VendorAMD, VendorHygon}, []string{"ibpb"}, "", "ibpb",
		"on AMD/Hygon, Linux sets ibpb from CPUID 0x80000008 EBX[12] (libvirt ibpb)."},
	{[]string{VendorAMD, VendorHygon}, []string{"ibrs"}, "", "ibrs",
		"on AMD/Hygon, Linux sets ibrs from CPUID 0x80000008 EBX[14] (libvirt ibrs)."},
	{[]string{VendorAMD, VendorHygon}, []string{"stibp"}, "", "amd-stibp",
		"on AMD/Hygon, Linux sets stibp from CPUID 0x80000008 EBX[15] (libvirt amd-stibp)."},
	{[]string{VendorAMD, VendorHygon}, []string{"ibrs_enhanced"}, "", "auto-ibrs",
		"on AMD, Linux sets ibrs_enhanced from Automatic IBRS, CPUID 0x80000021 EAX[8] (libvirt auto-ibrs)."},
}

func derive(vendor string, present map[string]bool) []Derivation {
	var out []Derivation
	for _, r := range derivRules {
		if !contains(r.vendors, vendor) || (r.unless != "" && present[r.unless]) {
			continue
		}
		var from []string
		for _, f := range r.from {
			if present[f] {
				from = append(from, f)
			}
		}
		if len(from) > 0 {
			out = append(out, Derivation{Feature: r.feature, From: from, Detail: r.detail})
		}
	}
	return out
}

// derivedNote says what Translate concluded for one kernel-derived flag.
func derivedNote(flag, vendor string, present map[string]bool) string {
	for _, d := range derive(vendor, present) {
		if contains(d.From, flag) {
			return "Vendor " + vendor + ": derived libvirt " + d.Feature + "."
		}
	}
	switch {
	case vendor == "":
		return "Vendor unknown: nothing derived."
	case flag == "ssbd" && vendor == VendorIntel:
		return "Vendor Intel with virt_ssbd visible: the source is ambiguous, nothing derived."
	case flag == "ssbd":
		return "Vendor " + vendor + ": the source is ambiguous (amd-ssbd, virt-ssbd or LS_CFG), nothing derived; virt_ssbd maps by itself when visible."
	case flag == "split_lock_detect":
		return "Nothing derived."
	}
	return "Vendor " + vendor + ": nothing derived."
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Explain returns the sentence that explains why a Linux flag was excluded
// with reason: the shared table's text for (flag, reason), the same for every
// host. Facts carry only the reason code; what a kernel-derived flag implies
// for a host's vendor is in the facts' derived records. It returns "" for a
// flag the table translates to a guest feature under another reason.
func (t *Table) Explain(flag string, reason Reason) string {
	row, ok := t.flags[flag]
	switch {
	case flag == "vnmi" && reason == ReasonVirtCapability:
		return vnmiIntelDetail
	case !ok:
		return unknownFlagDetail(flag)
	case reason == ReasonUnknown && row.reason == "" && row.libvirt != "":
		return "maps to libvirt feature " + row.libvirt + ", which the libvirt whose feature list was used (the facts' name_table) does not define."
	case reason == ReasonKernelDerived && row.reason == ReasonKernelDerived:
		return row.detail + " What it implies on this host's vendor is listed under derived."
	case row.reason == reason:
		return row.detail
	}
	return ""
}

const vnmiIntelDetail = "On Intel, kernels before 5.x showed the VMX virtual-NMI capability (then word 8) as vnmi; the 6.12 name vnmi is the AMD SVM bit 0x8000000A EDX[25] (libvirt vnmi), which does not apply here."
