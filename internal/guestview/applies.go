package guestview

import "strings"

type evalEnv struct {
	host  Host
	have  map[string]bool
	flags map[string]bool
	vmx   map[string]bool
	opts  Options
}

// applies reports whether rule r gives its features on this host; when it
// does not, unless says what would change that ("" when nothing would).
func (e evalEnv) applies(r Rule) (bool, string) {
	var unless []string
	ok := true
	switch r.Kind {
	case KindNotVirtualized, KindMSR:
		return false, ""
	case KindNested:
		if !e.opts.Nested {
			ok = false
			unless = append(unless, "nested: true (kvm_intel/kvm_amd nested=1 on every hypervisor)")
		}
	case KindParameter:
		switch r.Option {
		case OptionPMU:
			if !e.opts.PMU {
				ok = false
				unless = append(unless, "pmu: true (guests with a virtual PMU)")
			}
		case OptionPT:
			if !e.opts.PT {
				ok = false
				unless = append(unless, "pt: true (kvm_intel pt_mode=1)")
			}
		}
	}
	if !signatureMatches(r.Signature, e.host) {
		return false, ""
	}
	for _, s := range r.UnlessSignature {
		if signatureMatches([]Signature{s}, e.host) {
			return false, ""
		}
	}
	for _, f := range r.RequiresFeatures {
		if !e.have[f] {
			return false, ""
		}
	}
	if len(r.RequiresAnyFeature) > 0 && !anyIn(r.RequiresAnyFeature, e.have) {
		return false, ""
	}
	for _, f := range r.RequiresFlags {
		if !e.flags[f] {
			return false, ""
		}
	}
	if len(r.RequiresAnyFlag) > 0 && !anyIn(r.RequiresAnyFlag, e.flags) {
		return false, ""
	}
	for _, f := range r.RequiresVMXFlags {
		if !e.vmx[f] {
			return false, ""
		}
	}
	for _, f := range r.UnlessFeatures {
		if e.have[f] {
			return false, ""
		}
	}
	if r.MinLinux != "" && !atLeast(e.opts.Stack.Linux, r.MinLinux) {
		ok = false
		unless = append(unless, "stack linux >= "+r.MinLinux)
	}
	if r.BeforeLinux != "" && !olderThan(e.opts.Stack.Linux, r.BeforeLinux) {
		ok = false
		unless = append(unless, "stack linux < "+r.BeforeLinux)
	}
	if r.MinQEMU != "" && !atLeast(e.opts.Stack.QEMU, r.MinQEMU) {
		ok = false
		unless = append(unless, "stack qemu >= "+r.MinQEMU)
	}
	if ok {
		return true, ""
	}
	return false, strings.Join(unless, " and ")
}

func signatureMatches(sigs []Signature, h Host) bool {
	if len(sigs) == 0 {
		return true
	}
	for _, s := range sigs {
		if h.Family == nil || *h.Family != s.Family {
			continue
		}
		if len(s.Models) > 0 && (h.Model == nil || !containsInt(s.Models, *h.Model)) {
			continue
		}
		if s.SteppingBelow > 0 && (h.Stepping == nil || *h.Stepping >= s.SteppingBelow) {
			continue
		}
		return true
	}
	return false
}

// ruleFor returns the rule that decides a feature the host has: the first
// rule naming it for the host's vendor (and signature, for rules that have
// one), where a rule about the host's own
// bit (passthrough, nested-only, parameter, not virtualized) wins over one
// that emulates or synthesizes the feature for hosts without it.
func ruleFor(feature string, h Host) (Rule, bool) {
	var fallback *Rule
	for i, r := range rules {
		if !contains(r.Features, feature) || !vendorMatches(r, h.Vendor) || !signatureMatches(r.Signature, h) {
			continue
		}
		if r.Kind != KindEmulated && r.Kind != KindSynthesized {
			return r, true
		}
		if fallback == nil {
			fallback = &rules[i]
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return Rule{}, false
}

func vendorMatches(r Rule, vendor string) bool {
	if len(r.Vendors) == 0 {
		return true
	}
	return contains(r.Vendors, vendor)
}
