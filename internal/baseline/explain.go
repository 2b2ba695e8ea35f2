package baseline

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// Vendor-specific speculation-control features: same names, different
// meaning or source per vendor (see the package documentation).
var vendorSpecific = map[string]string{
	"spec-ctrl": "Intel IA32_SPEC_CTRL (CPUID 7.EDX[26]); KVM synthesizes it on AMD hosts that have ibpb+ibrs",
	"stibp":     "Intel STIBP (CPUID 7.EDX[27]); AMD's is amd-stibp",
	"ssbd":      "Intel SSBD (CPUID 7.EDX[31]); AMD uses amd-ssbd or virt-ssbd",
	"ibpb":      "AMD IBPB (CPUID 0x80000008 EBX[12]); on Intel the same barrier is part of spec-ctrl",
	"ibrs":      "AMD IBRS (CPUID 0x80000008 EBX[14]); on Intel it is part of spec-ctrl",
	"amd-ssbd":  "AMD SSBD (CPUID 0x80000008 EBX[24]); KVM offers it on Intel hosts with SSBD",
	"amd-stibp": "AMD STIBP (CPUID 0x80000008 EBX[15])",
	"virt-ssbd": "AMD VIRT_SPEC_CTRL SSBD, a virtual feature KVM provides",
	"ibrs-all":  "Intel enhanced IBRS (IA32_ARCH_CAPABILITIES bit 1)",
	"auto-ibrs": "AMD Automatic IBRS (CPUID 0x80000021 EAX[8])",
}

// listedHosts is how many host names a warning spells out; the rest are
// counted (every host is in Classes).
const listedHosts = 20

// hostList names hosts for a warning: all of them up to listedHosts, else
// the first ones and how many more.
func hostList(names []string) string {
	if len(names) <= listedHosts {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:listedHosts], ", "), len(names)-listedHosts)
}

func (r *Result) warn(a *Accumulator, model *cpumodels.Model, req Request, names *featnames.Table) {
	// One warning per blocked class: its hosts share what they lack.
	for _, c := range r.Classes {
		if len(c.Blocked) == 0 {
			continue
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("base model %s cannot run on %s (lacking %s): nova-compute would refuse to start there with cpu_models = %s",
			r.Model, hostList(c.Members), strings.Join(c.Blocked, ", "), r.Model))
	}
	// Hosts not described by libvirt: the predicted view (guest view
	// predicted from the captured flags by rules) and the cpuinfo view
	// (the flags as captured) differ in what KVM's limits do to them.
	byView := map[string][]string{}
	views := map[string]bool{}
	for _, c := range a.classes {
		views[c.view] = true
	}
	for _, h := range r.Hosts {
		if h.View != ViewLibvirt {
			byView[h.View] = append(byView[h.View], h.Name)
		}
	}
	if len(byView) > 0 {
		var notLibvirt []string
		for _, v := range slices.Sorted(maps.Keys(byView)) {
			notLibvirt = append(notLibvirt, byView[v]...)
		}
		sort.Strings(notLibvirt)
		w := fmt.Sprintf("%d host(s) (%s) were described by /proc/cpuinfo or lscpu, not libvirt: MSR features (arch-capabilities bits such as mds-no, rdctl-no) and vmx-* controls are not visible there", len(notLibvirt), hostList(notLibvirt))
		// Name the hosts of each view only when views differ.
		which := func(v string) string {
			if len(byView) == 1 {
				return "their view is " + v + ":"
			}
			return "for " + hostList(byView[v]) + " (view " + v + ")"
		}
		if len(byView[ViewPredicted]) > 0 {
			w += "; " + which(ViewPredicted) + " what QEMU/KVM gives a guest is predicted from the flags by rules drawn from Linux, QEMU and libvirt (docs/GUESTVIEW.md), not reported by the host's libvirt"
		}
		for _, v := range slices.Sorted(maps.Keys(byView)) {
			if v != ViewPredicted {
				w += "; " + which(v) + " the flags are taken as captured, so features KVM cannot give guests are not removed"
			}
		}
		r.Warnings = append(r.Warnings, w+"; gather facts with libvirt for an exact result")
	}
	if views[ViewLibvirt] && len(views) > 1 {
		r.Warnings = append(r.Warnings, "hosts use different views (libvirt and /proc/cpuinfo-based): features only the libvirt view can show count as lacking on the other hosts")
	}
	if r.MixedVendor {
		r.Warnings = append(r.Warnings, fmt.Sprintf("mixed vendors (%s): libvirt's cpu-baseline refuses to compute one baseline; under KVM, QEMU gives guests the host's own CPUID vendor string, not the model's, so a guest live-migrated across vendors keeps the vendor-specific code paths its kernel chose at boot on a CPU of the other vendor: test such migrations with your guest images, or keep vendors in separate host aggregates", strings.Join(r.Vendors, ", ")))
		for _, f := range r.ExtraFlags {
			if d, ok := vendorSpecific[f]; ok {
				r.Warnings = append(r.Warnings, fmt.Sprintf("extra flag %s is vendor-specific (%s): on the other vendor's hosts KVM emulates it; test the mitigation inside guests on both vendors", f, d))
			}
		}
	}
	if req.Instance != nil && model != nil {
		var beyond []string
		for _, f := range r.InstanceFlags {
			if !model.HasFeature(f) {
				beyond = append(beyond, f)
			}
		}
		if len(beyond) > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("the test instance shows %s, which base model %s does not contain; they were left out of the extra flags as the brief's step 6 does, so guests will not get them unless the instance's CPU came from this model's defaults: if the instance ran another model, omit it", strings.Join(beyond, ", "), model.Name))
		}
	}
	if model != nil && r.ModelSource == ModelRequested && len(r.Candidates) > 0 && r.Candidates[0].Fits && r.Candidates[0].Model != model.Name && len(r.ModelBlockers) == 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s also fits every host and leaves %d extra flags (%s leaves %d)", r.Candidates[0].Model, r.Candidates[0].ExtraCount, model.Name, len(r.ExtraFlags)))
	}
	for _, f := range r.ExtraFlags {
		if f == "vmx" || f == "svm" {
			r.Warnings = append(r.Warnings, fmt.Sprintf("extra flag %s enables nested virtualization: guests that run their own VMs migrate only between hosts with identical %s capabilities (vmx-* controls); drop it from cpu_model_extra_flags if nested guests are not wanted", f, f))
		}
	}
	if model != nil && IsVersioned(model.Name) {
		alt := ""
		for _, c := range r.Candidates {
			if c.Fits && !c.Versioned && c.AliasOf == "" {
				alt = fmt.Sprintf("; %s is the best non-versioned model (%d extra flags)", c.Model, c.ExtraCount)
				break
			}
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s is a versioned model that libvirt releases before %s (e.g. 9.0) do not define; every host's libvirt defines it, but nova-compute refuses to start on a hypervisor whose libvirt lacks the model named in cpu_models: check `virsh cpu-models x86_64` on hosts added later%s", model.Name, VersionedModelsSince, alt))
	}
	if len(r.DisabledFlags) > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("guests get %s without %s (disabled: \"-%s\" in cpu_model_extra_flags, which Nova accepts from Wallaby, 23.0.0): some host lacks it; a guest image that needs it will not find it",
			r.Model, strings.Join(r.DisabledFlags, ", "), strings.Join(r.DisabledFlags, "\", \"-")))
	}
	_ = names
}

func (r *Result) explain(hosts []Host, model *cpumodels.Model, cands []Candidate) {
	e := &r.Explanation
	add := func(format string, args ...any) { *e = append(*e, fmt.Sprintf(format, args...)) }
	add("%d host(s) of vendor(s) %s share %d features (libvirt names, exact intersection of each host's trusted view); %d features are on some hosts but not all.",
		len(hosts), strings.Join(r.Vendors, ", "), len(r.Common), len(r.MissingClasses))
	switch {
	case model == nil:
		add("No CPU model fits every host; see the warnings.")
	case r.ModelSource == ModelRequested:
		if len(r.ModelBlockers) == 0 {
			add("Base model %s (named by the operator) runs on every host.", r.Model)
		} else {
			add("Base model %s (named by the operator) is blocked on %d host(s): nova-compute would refuse to start there.", r.Model, len(r.ModelBlockers))
		}
	case len(r.DisabledFlags) > 0:
		other := "no model of another vendor runs whole either"
		if r.PreferredOver != "" {
			other = fmt.Sprintf("%s (another vendor's model) would run whole, but libvirt's own baseline considers only the hosts' vendor (x86Decode skips other vendors' models) and disables what they lack instead, keeping the guests' CPU model of their own vendor", r.PreferredOver)
		}
		add("Recommended base model %s with %s disabled (policy='disable'; \"-%s\" in cpu_model_extra_flags): no %s model runs whole on every host, and %s lacks only these there; %s.",
			r.Model, strings.Join(r.DisabledFlags, ", "), strings.Join(r.DisabledFlags, "\", \"-"), vendorOr(model.Vendor), r.Model, other)
		add("Ranked as libvirt ranks: %s.", cands[0].Reason)
	default:
		c := cands[0]
		add("Recommended base model %s: %s.", c.Model, c.Reason)
		for _, o := range cands[1:] {
			if o.Fits {
				add("Runner-up %s: %s.", o.Model, o.Reason)
				break
			}
		}
		for _, o := range cands {
			if !o.Fits {
				add("Closest model that does not fit, %s: %s.", o.Model, o.Reason)
				break
			}
		}
	}
	if n := r.NotDisabled; n != nil && model != nil {
		add("Nova %s cannot disable model features (\"-feature\" in cpu_model_extra_flags needs Wallaby, 23.0.0, or later), so %s, the %s model libvirt's baseline would choose with %s disabled, was not taken; %s, the next choice, runs whole on every host.",
			r.NovaRelease, n.Model, vendorOr(n.Vendor), strings.Join(n.Disabled, ", "), r.Model)
	}
	if model != nil {
		add("Extra flags = common features − %s's features%s − excluded: %d flags; %d common features excluded, each with its reason.",
			r.Model, map[bool]string{true: " − the test instance's features", false: ""}[len(r.InstanceFlags) > 0 || r.Artifacts.Files["instance.flags-lscpu.sorted"] != nil], len(r.ExtraFlags), len(r.Excluded))
	}
	if len(r.RemovedFlags) > 0 {
		add("libvirt's CPU map marks %s removed from %s (removed='yes') and not every host has them: libvirt disables them itself (virCPUx86Update), so neither Nova nor libvirt requires them and nothing is written for them.",
			strings.Join(r.RemovedFlags, ", "), r.Model)
	}
	add("Linux flag lists: %d flags common to all hosts (exact intersection), %d after removing the test instance's flags; %d of the common Linux flags have no libvirt feature for a guest and never go into nova.conf.",
		len(r.SourceToTarget), len(r.FinalCommon), len(r.ExcludedLinux))
	if r.AssumedLibvirt != "" {
		var names []string
		for _, id := range r.AssumedFor {
			if c, ok := r.Class(id); ok {
				names = append(names, c.Members...)
			}
		}
		sort.Strings(names)
		allowed := "versioned models (x86_X-vN) are not chosen for them"
		if LibvirtAtLeast(r.AssumedLibvirt, VersionedModelsSince) {
			allowed = "versioned models may be chosen for them"
		}
		add("%d host(s) carry neither libvirt's model list nor its version (%s): libvirt %s is assumed for them, so %s; give the hypervisors' libvirt version (libvirt_version, --libvirt-version) to judge otherwise.",
			len(names), hostList(names), r.AssumedLibvirt, allowed)
	}
}

func vendorOr(v string) string {
	if v == "" {
		return "generic"
	}
	return v
}
