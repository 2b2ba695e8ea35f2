// Package guestview predicts what QEMU/KVM can give a guest on a host that is
// known only from its /proc/cpuinfo or lscpu (a capture, or a live host
// without libvirt): the "predicted" view.
//
// A host's CPU flags are not a guest's CPU. KVM passes through only the
// features its supported-CPUID masks list (Linux arch/x86/kvm/cpuid.c
// kvm_set_cpu_caps and the vendor modules' vmx_set_cpu_caps /
// svm_set_cpu_caps), emulates or synthesizes a few whatever the host has
// (x2apic, tsc-deadline, tsc_adjust, arch-capabilities, umip on VMX, the
// other vendor's speculation-control bits), and QEMU adjusts the result
// (kvm_arch_get_supported_cpuid: hypervisor, arat, topoext; migratable
// "-cpu host" drops invtsc). Some features depend on KVM module parameters
// (nested, pt_mode) or on QEMU's PMU switch; some only newer stacks give.
//
// Every such fact is one Rule (rules.go): the features it covers, the
// vendors, the conditions, the reason and the source it was read from.
// Predict applies them to a host's libvirt-named features; nothing is keyed
// by CPU model. A host feature no rule gives is dropped: KVM's masks are an
// allowlist, so an unknown bit is not something a guest can be promised.
package guestview

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
)

// Vendors as libvirt names them (featnames.Vendor*).
const (
	VendorIntel = "Intel"
	VendorAMD   = "AMD"
	VendorHygon = "Hygon"
)

// Kind classifies a rule.
type Kind string

// Rule kinds.
const (
	// KindPassthrough: KVM passes the host's bit through (F() in kvm_set_cpu_caps).
	KindPassthrough Kind = "passthrough"
	// KindEmulated: KVM or QEMU provides it whatever the host has (EMULATED_F, QEMU fixups).
	KindEmulated Kind = "emulated"
	// KindSynthesized: KVM derives it from other host features (the other vendor's speculation bits).
	KindSynthesized Kind = "synthesized"
	// KindNested: given only when the KVM module runs with nested=1 (vmx, svm and their sub-features).
	KindNested Kind = "nested-only"
	// KindParameter: given only with a non-default KVM module parameter or QEMU switch (pt_mode=1, pmu=on).
	KindParameter Kind = "parameter"
	// KindNotVirtualized: KVM never gives it (host-only bits, runtime OS state, not migratable).
	KindNotVirtualized Kind = "not-virtualized"
	// KindMSR: an MSR feature (IA32_ARCH_CAPABILITIES bit) that a capture
	// cannot show; KVM derives those bits itself, so none is predicted.
	KindMSR Kind = "msr-feature"
)

// Stack is the hypervisor software the prediction may assume. Versions are
// "major.minor" (more components are ignored). An empty field takes
// DefaultStack's value; StackUnknown says nothing is known, and a rule that
// needs a version is then not applied: features only newer stacks give stay
// out of the predicted view.
type Stack struct {
	Linux string `json:"linux,omitempty"`
	QEMU  string `json:"qemu,omitempty"`
}

// StackUnknown, as a Stack field, means the version is not known.
const StackUnknown = "unknown"

// DefaultStack is assumed where the operator does not say: Linux 5.10 and
// QEMU 5.2, the oldest kernel and QEMU of the distributions OpenStack 2023.1
// (the first Nova release that checks CPUs with compareHypervisorCPU) runs
// on (Debian 11; Ubuntu 22.04 and RHEL 9 ship newer). Every reference
// capture made with QEMU >= 5.0 is predicted soundly with it.
var DefaultStack = Stack{Linux: "5.10", QEMU: "5.2"}

// Effective returns s with empty fields filled from DefaultStack.
func (s Stack) Effective() Stack {
	if strings.TrimSpace(s.Linux) == "" {
		s.Linux = DefaultStack.Linux
	}
	if strings.TrimSpace(s.QEMU) == "" {
		s.QEMU = DefaultStack.QEMU
	}
	return s
}

// Options are what the operator says about the hypervisors beyond the capture.
type Options struct {
	// Nested: kvm_intel/kvm_amd run with nested=1, so vmx/svm and the
	// nested-only sub-features KVM then advertises are given.
	Nested bool `json:"nested"`
	// PMU: guests get a virtual PMU (libvirt <pmu state='on'/>), so pdcm
	// and the AMD core performance counters are given.
	PMU bool `json:"pmu"`
	// PT: kvm_intel runs with pt_mode=1 (host_guest), so intel-pt is given.
	PT bool `json:"pt"`
	// Stack is the assumed Linux/QEMU of the hypervisors (empty fields:
	// DefaultStack; StackUnknown: not known).
	Stack Stack `json:"stack"`
	// Measured are the versions read on the live host itself (the running
	// kernel's release, the QEMU libvirt runs); they apply where Stack
	// leaves a field empty.
	Measured Stack `json:"measured,omitempty"`
}

// Host is what Predict needs to know about one host.
type Host struct {
	// Vendor is libvirt's vendor name (Intel, AMD, Hygon); "" when unknown.
	Vendor string
	// Family, Model and Stepping are the CPUID signature; nil when unknown.
	Family, Model, Stepping *int
	// Features are the host's features in libvirt names (featnames.Translate).
	Features []string
	// LinuxFlags are the /proc/cpuinfo flags (some rules read flags that
	// have no libvirt feature, e.g. amd_ibpb_ret).
	LinuxFlags []string
	// VMXFlags is the "vmx flags" line of /proc/cpuinfo, when captured.
	VMXFlags []string
}

// Decision records one feature the rules removed or added.
type Decision struct {
	Feature string `json:"feature"`
	Rule    string `json:"rule"`
	Kind    Kind   `json:"kind"`
	Reason  string `json:"reason"`
	// Unless says what would let the feature through (an option, a stack
	// version), when something would.
	Unless string `json:"unless,omitempty"`
}

// View is the predicted guest view of one host.
type View struct {
	// Features are what QEMU/KVM can give a guest, libvirt names, sorted.
	Features []string `json:"features"`
	// NestedOnly lists the Features given only because Options.Nested is set.
	NestedOnly []string `json:"nested_only,omitempty"`
	// Added are features the host does not have that KVM/QEMU provide.
	Added []Decision `json:"added"`
	// Dropped are host features a guest cannot be given, with the reason.
	Dropped []Decision `json:"dropped"`
	// Options are the options the prediction used, with the effective stack.
	Options Options `json:"options"`
	// StackAssumed is true when a stack version came from DefaultStack.
	StackAssumed bool `json:"stack_assumed"`
	// StackBasis says where each stack version came from and why.
	StackBasis StackBasis `json:"stack_basis"`
	// Rules names the rule set (RulesVersion).
	Rules string `json:"rules"`
}

// RulesVersion names the rule set: "guestview/" and a digest of every rule
// and of DefaultStack, so it changes whenever a rule changes and a plan can
// tell which prediction it was built on.
var RulesVersion = rulesVersion()

func rulesVersion() string {
	data, err := json.Marshal(struct {
		Rules []Rule
		Stack Stack
	}{rules, DefaultStack})
	if err != nil {
		panic("guestview: rules do not marshal: " + err.Error()) // static data; a test covers it
	}
	sum := sha256.Sum256(data)
	return "guestview/" + hex.EncodeToString(sum[:6])
}

// Predict applies the rules to one host.
func Predict(h Host, opts Options) View {
	var basis StackBasis
	opts.Stack, basis = ResolveStack(h.LinuxFlags, opts)
	assumed := basis.Linux == OriginDefault || basis.QEMU == OriginDefault
	have := toSet(h.Features)
	flags := toSet(h.LinuxFlags)
	vmx := toSet(h.VMXFlags)
	env := evalEnv{host: h, have: have, flags: flags, vmx: vmx, opts: opts}

	given := map[string]bool{}
	nestedOnly := map[string]bool{}
	dropped := map[string]Decision{}
	var added []Decision

	for _, f := range sortedKeys(have) {
		r, ok := ruleFor(f, h)
		if !ok {
			dropped[f] = Decision{Feature: f, Rule: "allowlist", Kind: KindNotVirtualized,
				Reason: "no rule gives it: KVM passes through only the features its supported-CPUID masks list (arch/x86/kvm/cpuid.c kvm_set_cpu_caps), and none of the rules, read from those masks, names this one"}
			continue
		}
		if ok, unless := env.applies(r); ok {
			given[f] = true
			if r.Kind == KindNested {
				nestedOnly[f] = true
			}
		} else {
			dropped[f] = Decision{Feature: f, Rule: r.ID, Kind: r.Kind, Reason: r.Reason, Unless: unless}
		}
	}
	for _, r := range rules {
		if r.Kind != KindEmulated && r.Kind != KindSynthesized {
			continue
		}
		if !vendorMatches(r, h.Vendor) {
			continue
		}
		if ok, _ := env.applies(r); !ok {
			continue
		}
		for _, f := range r.Features {
			if have[f] || given[f] {
				continue
			}
			given[f] = true
			added = append(added, Decision{Feature: f, Rule: r.ID, Kind: r.Kind, Reason: r.Reason})
		}
	}
	v := View{
		Features: sortedKeys(given),
		Added:    added,
		Dropped:  make([]Decision, 0, len(dropped)),
		Options:  opts,
		Rules:    RulesVersion,

		StackAssumed: assumed,
		StackBasis:   basis,
	}
	for _, f := range sortedKeys(dropped) {
		v.Dropped = append(v.Dropped, dropped[f])
	}
	if len(nestedOnly) > 0 {
		v.NestedOnly = sortedKeys(nestedOnly)
	}
	sort.Slice(v.Added, func(i, j int) bool { return v.Added[i].Feature < v.Added[j].Feature })
	if v.Added == nil {
		v.Added = []Decision{}
	}
	return v
}

// IsNestedOnly reports whether a libvirt feature is given only with nested
// virtualization (vmx, svm, their sub-features and every vmx-* control).
func IsNestedOnly(feature string) bool {
	if strings.HasPrefix(feature, "vmx-") {
		return true
	}
	for _, r := range rules {
		if r.Kind == KindNested && contains(r.Features, feature) {
			return true
		}
	}
	return false
}

// Rules returns a copy of the rule set, in its documented order.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	copy(out, rules)
	return out
}

func toSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		if x = strings.TrimSpace(x); x != "" {
			m[x] = true
		}
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

func anyIn(list []string, set map[string]bool) bool {
	for _, x := range list {
		if set[x] {
			return true
		}
	}
	return false
}
