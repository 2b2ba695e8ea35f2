package baseline

import (
	"fmt"
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
	var cpuinfoHosts []string
	views := map[string]bool{}
	for _, c := range a.classes {
		views[c.view] = true
	}
	if len(views) > 1 || !views[ViewLibvirt] {
		for _, h := range r.Hosts {
			if h.View != ViewLibvirt {
				cpuinfoHosts = append(cpuinfoHosts, h.Name)
			}
		}
	}
	if len(cpuinfoHosts) > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d host(s) (%s) were described by /proc/cpuinfo or lscpu, not libvirt: MSR features (arch-capabilities bits such as mds-no, rdctl-no) and vmx-* controls are not visible there, and features KVM cannot give guests are not removed; gather facts with libvirt for an exact result",
			len(cpuinfoHosts), hostList(cpuinfoHosts)))
	}
	if views[ViewLibvirt] && len(cpuinfoHosts) > 0 {
		r.Warnings = append(r.Warnings, "hosts use different views (libvirt and cpuinfo): features only the libvirt view can show count as lacking on the cpuinfo hosts")
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
	if model != nil && !model.DecodeGuest {
		alt := ""
		for _, c := range r.Candidates {
			if c.Fits && !c.Versioned && c.AliasOf == "" {
				alt = fmt.Sprintf("; %s is the best non-versioned model (%d extra flags)", c.Model, c.ExtraCount)
				break
			}
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s is a versioned model that libvirt releases before 10.x (e.g. 9.0) do not define; nova-compute refuses to start when cpu_models names a model its libvirt lacks: check `virsh cpu-models x86_64` on every hypervisor%s", model.Name, alt))
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
	if model != nil {
		add("Extra flags = common features − %s's features%s − excluded: %d flags; %d common features excluded, each with its reason.",
			r.Model, map[bool]string{true: " − the test instance's features", false: ""}[len(r.InstanceFlags) > 0 || r.Artifacts.Files["instance.flags-lscpu.sorted"] != nil], len(r.ExtraFlags), len(r.Excluded))
	}
	add("Linux flag lists: %d flags common to all hosts (exact intersection), %d after removing the test instance's flags; %d of the common Linux flags have no libvirt feature for a guest and never go into nova.conf.",
		len(r.SourceToTarget), len(r.FinalCommon), len(r.ExcludedLinux))
}
