package guestview

// Options a KindParameter rule can need.
const (
	OptionPMU = "pmu"
	OptionPT  = "pt"
)

// Signature matches a CPUID family/model/stepping, for the rules the
// sources themselves key by signature (QEMU's host_tsx_broken, Linux's
// AMD family 0x17 XSAVES erratum). Models empty = any model of the family;
// SteppingBelow 0 = any stepping.
type Signature struct {
	Family        int   `json:"family"`
	Models        []int `json:"models,omitempty"`
	SteppingBelow int   `json:"stepping_below,omitempty"`
}

// Rule is one fact about what QEMU/KVM give a guest, with its reason and
// the source it was read from. The first rule that names a feature for the
// host's vendor decides it.
type Rule struct {
	ID       string   `json:"id"`
	Kind     Kind     `json:"kind"`
	Features []string `json:"features"`
	// Vendors the rule applies to; empty = every vendor (and unknown).
	Vendors []string `json:"vendors,omitempty"`
	// Option a KindParameter rule needs (OptionPMU, OptionPT).
	Option string `json:"option,omitempty"`
	// Conditions on the host (all must hold).
	RequiresFeatures   []string    `json:"requires_features,omitempty"`
	RequiresAnyFeature []string    `json:"requires_any_feature,omitempty"`
	RequiresFlags      []string    `json:"requires_linux_flags,omitempty"`
	RequiresAnyFlag    []string    `json:"requires_any_linux_flag,omitempty"`
	RequiresVMXFlags   []string    `json:"requires_vmx_flags,omitempty"`
	UnlessFeatures     []string    `json:"unless_features,omitempty"`
	Signature          []Signature `json:"signature,omitempty"`
	UnlessSignature    []Signature `json:"unless_signature,omitempty"`
	// MinLinux / MinQEMU: the rule holds only on a stack at least this new.
	// The value is the oldest release whose source was read and shows the
	// behaviour; older stacks in libvirt's reference data did not give it.
	MinLinux string `json:"min_linux,omitempty"`
	MinQEMU  string `json:"min_qemu,omitempty"`
	Reason   string `json:"reason"`
	Source   string `json:"source"`
}

// Sources, as cited by the rules.
const (
	srcCaps      = "Linux 6.16 arch/x86/kvm/cpuid.c kvm_set_cpu_caps"
	srcCaps420   = "Linux 4.20-era arch/x86/kvm/cpuid.c __do_cpuid_ent masks (kvm_cpuid_*_x86_features) and Linux 6.16 kvm_set_cpu_caps"
	srcCaps56    = "Linux 5.6 arch/x86/kvm/cpuid.c do_cpuid_7_mask and Linux 6.16 kvm_set_cpu_caps"
	srcCaps57    = "Linux 5.7 arch/x86/kvm/cpuid.c kvm_set_cpu_caps (kvm_cpu_cap_mask) and Linux 6.16"
	srcCaps610   = "Linux 6.10 arch/x86/kvm/cpuid.c kvm_set_cpu_caps (kvm_cpu_cap_set after the 7.EDX mask) and Linux 6.16"
	srcVMX       = "Linux 6.16 arch/x86/kvm/vmx/vmx.c vmx_set_cpu_caps"
	srcSVM       = "Linux arch/x86/kvm/svm/svm.c svm_set_cpu_caps (5.11 and 6.16)"
	srcQEMU      = "QEMU 10.1 target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid"
	srcQEMUCPU   = "QEMU target/i386/cpu.c feature_word_info (unmigratable_flags) and x86_cpu_get_supported_feature_word"
	srcLibvirt   = "libvirt src/qemu/qemu_capabilities.c virQEMUCapsCPUFilterFeatures and src/cpu_map/x86_features.xml"
	srcRefData   = "libvirt 11.3.0 tests/cputestdata (-disabled.xml of the 51 reference hosts)"
	srcThisStack = "this project's rig: virsh domcapabilities with QEMU 7.2 on Linux 6.18"
	// qemu50 qualifies srcRefData for the QEMU 5.0 gates: every reference
	// capture made with QEMU 5.0 or later (its model expansion lists the
	// vmx-* properties QEMU 5.0 introduced) gives the feature.
	qemu50 = "; every reference capture made with QEMU >= 5.0 (model expansion with vmx-* properties) gives it"
)

// passthrough builds a rule for features KVM passes through from the host.
func passthrough(id, reason, source string, features ...string) Rule {
	return Rule{ID: id, Kind: KindPassthrough, Features: features, Reason: reason, Source: source}
}

func notVirtualized(id, reason, source string, features ...string) Rule {
	return Rule{ID: id, Kind: KindNotVirtualized, Features: features, Reason: reason, Source: source}
}

var intel = []string{VendorIntel}
var amd = []string{VendorAMD, VendorHygon}

// rules is the rule set. Order matters only where a feature has rules for
// different vendors: vendor-specific rules come first.
var rules = []Rule{
	// --- Nested virtualization: kvm_intel/kvm_amd module parameter nested.
	{ID: "nested-vmx", Kind: KindNested, Features: []string{"vmx"},
		Reason: "KVM advertises VMX only when kvm_intel runs with nested=1 (vmx_set_cpu_caps: if (nested) kvm_cpu_cap_set(X86_FEATURE_VMX)); a guest using it needs identical vmx-* controls on every host it migrates to",
		Source: srcVMX},
	{ID: "nested-svm", Kind: KindNested, Features: []string{"svm", "npt", "nrip-save"},
		Reason: "KVM advertises SVM, NPT and NRIPS only when kvm_amd runs with nested=1 (svm_set_cpu_caps: if (nested) { kvm_cpu_cap_set(X86_FEATURE_SVM); if (nrips) ...NRIPS; if (npt_enabled) ...NPT })",
		Source: srcSVM},
	{ID: "nested-svm-recent", Kind: KindNested, Features: []string{"svme-addr-chk", "vmcb-clean", "tsc-scale", "v-vmsave-vmload", "lbrv", "pause-filter", "pfthreshold", "vgif", "vnmi", "flushbyasid"},
		MinLinux: "6.16",
		Reason:   "SVM sub-features (CPUID 0x8000000A EDX) that newer kvm_amd advertises to nested guests when nested=1 and the matching module parameter and hardware bit are on; older kernels did not (disabled on every svm host of libvirt's reference data)",
		Source:   srcCaps + " (CPUID_8000_000A_EDX VENDOR_F) and " + srcSVM},
	notVirtualized("svm-host-only", "SVM capabilities KVM never passes to a guest (decode assists, AVIC, SVM lock are used by the host's KVM itself)", srcCaps+" (CPUID_8000_000A_EDX)",
		"decodeassists", "avic", "svm-lock", "x2avic"),

	// --- Module parameters and QEMU switches.
	{ID: "pt-mode", Kind: KindParameter, Option: OptionPT, Vendors: intel, Features: []string{"intel-pt", "intel-pt-lip"},
		Reason: "Intel PT is given only when kvm_intel runs with pt_mode=1 (host_guest); the default pt_mode=0 keeps it for the host (vmx_set_cpu_caps: if (vmx_pt_mode_is_host_guest()) kvm_cpu_cap_check_and_set(X86_FEATURE_INTEL_PT))",
		Source: srcVMX},
	{ID: "pmu-pdcm", Kind: KindParameter, Option: OptionPMU, Vendors: intel, Features: []string{"pdcm"},
		Reason: "PDCM (IA32_PERF_CAPABILITIES) comes with the virtual PMU: KVM clears it when enable_pmu=0 and QEMU drops it when the guest has no PMU (libvirt <pmu state='off'/>, the default for a named model); disabled on 40 of the 41 Intel reference hosts",
		Source: srcVMX + " (if (!enable_pmu) kvm_cpu_cap_clear(X86_FEATURE_PDCM)); " + srcRefData},
	{ID: "pmu-amd", Kind: KindParameter, Option: OptionPMU, Vendors: amd, Features: []string{"perfctr_core", "perfmon-v2"},
		Reason: "AMD core performance counters are advertised only with the virtual PMU (svm_set_cpu_caps: if (enable_pmu && boot_cpu_has(X86_FEATURE_PERFCTR_CORE)) ...; 0x80000022 only when enable_pmu)",
		Source: srcSVM + "; " + srcCaps},

	// --- QEMU's own signature rule: TSX is broken on early Haswell.
	{ID: "tsx", Kind: KindPassthrough, Vendors: intel, Features: []string{"hle", "rtm"},
		UnlessSignature: []Signature{{Family: 6, Models: []int{60, 69, 70}}, {Family: 6, Models: []int{63}, SteppingBelow: 4}},
		Reason:          "HLE/RTM pass through (F(HLE), F(RTM)), except on Haswell parts with broken TSX, where QEMU removes them (host_tsx_broken: family 6 model 60, 69, 70, or 63 stepping < 4)",
		Source:          srcCaps + "; " + srcQEMU},

	// --- Features that need host or kernel support beyond the CPUID bit.
	{ID: "pku", Kind: KindPassthrough, Features: []string{"pku"}, RequiresFlags: []string{"ospke"},
		Reason: "PKU is given only when the host kernel itself enabled protection keys (OSPKE set) and TDP is on (kvm_set_cpu_caps: if (!tdp_enabled || !boot_cpu_has(X86_FEATURE_OSPKE)) kvm_cpu_cap_clear(X86_FEATURE_PKU)); the capture shows it through the ospke flag",
		Source: srcCaps},
	{ID: "xsaves-amd-erratum", Kind: KindNotVirtualized, Vendors: amd, Features: []string{"xsaves"},
		Signature: []Signature{{Family: 0x17}, {Family: 0x18}},
		Reason:    "Linux clears XSAVES on AMD family 0x17 (erratum 1386: XSAVES may fail to save XMM registers) and Hygon family 0x18 is derived from it; KVM masks its capabilities with the kernel's, and none of the Zen1/Hygon reference hosts got it",
		Source:    "Linux arch/x86/kernel/cpu/amd.c (erratum 1386); " + srcRefData},
	{ID: "xsaves", Kind: KindPassthrough, Features: []string{"xsaves"}, MinLinux: "4.20", MinQEMU: "5.0",
		Reason: "XSAVES passes through (f_xsaves, F(XSAVES); on VMX only with the XSAVES execution control), but stacks older than QEMU 5.0 did not give it (disabled on 4 Intel reference hosts; libvirt marks it migratable='no')",
		Source: srcCaps420 + "; " + srcVMX + " (if (!cpu_has_vmx_xsaves()) kvm_cpu_cap_clear(X86_FEATURE_XSAVES)); " + srcRefData + qemu50},
	{ID: "invpcid-vmx", Kind: KindPassthrough, Vendors: intel, Features: []string{"invpcid"},
		RequiresFeatures: []string{"pcid"},
		Reason:           "INVPCID passes through on VMX hosts with the enable-INVPCID execution control (vmx_set_cpu_caps clears it otherwise); every CPU with INVPCID and PCID has it",
		Source:           srcVMX},
	{ID: "umip-vmx", Kind: KindEmulated, Vendors: intel, Features: []string{"umip"}, RequiresVMXFlags: []string{"desc_exiting"},
		MinLinux: "5.6",
		Reason:   "KVM emulates UMIP on VMX hosts with descriptor-table exiting (vmx_set_cpu_caps: if (vmx_umip_emulated()) kvm_cpu_cap_set(X86_FEATURE_UMIP)); added only when the capture's \"vmx flags\" line shows desc_exiting",
		Source:   srcVMX + " and Linux 5.6 do_cpuid_7_mask (f_umip)"},

	// --- Speculation control: each vendor's bits synthesized from the other's.
	{ID: "spec-ctrl-amd", Kind: KindSynthesized, Vendors: amd, Features: []string{"spec-ctrl"},
		RequiresFeatures: []string{"ibpb", "ibrs"}, RequiresFlags: []string{"amd_ibpb_ret"}, MinLinux: "6.10",
		Reason: "KVM sets Intel's SPEC_CTRL on AMD only when the host's IBPB also flushes return predictions (AMD_IBPB_RET) and it has IBPB and IBRS; older kernels inferred it from IBPB and IBRS alone, which was withdrawn as unsound (\"AMD's IBPB is not equivalent to Intel's IBPB\")",
		Source: srcCaps + " (if (boot_cpu_has(X86_FEATURE_AMD_IBPB_RET) && ...AMD_IBPB && ...AMD_IBRS) kvm_cpu_cap_set(X86_FEATURE_SPEC_CTRL))"},
	{ID: "stibp-amd", Kind: KindSynthesized, Vendors: amd, Features: []string{"stibp"}, RequiresFeatures: []string{"amd-stibp"},
		MinLinux: "6.10",
		Reason:   "KVM sets Intel's STIBP on AMD when the host kernel has STIBP (synthesized from AMD's 0x80000008 EBX[15])",
		Source:   srcCaps610 + " (if (boot_cpu_has(X86_FEATURE_STIBP)) kvm_cpu_cap_set(X86_FEATURE_INTEL_STIBP))"},
	{ID: "ssbd-amd", Kind: KindSynthesized, Vendors: amd, Features: []string{"ssbd"}, RequiresFeatures: []string{"amd-ssbd"},
		MinLinux: "6.10",
		Reason:   "KVM sets Intel's SPEC_CTRL_SSBD on AMD when the host has AMD_SSBD",
		Source:   srcCaps610 + " (if (boot_cpu_has(X86_FEATURE_AMD_SSBD)) kvm_cpu_cap_set(X86_FEATURE_SPEC_CTRL_SSBD))"},
	{ID: "virt-ssbd-amd", Kind: KindSynthesized, Vendors: amd, Features: []string{"virt-ssbd"},
		RequiresAnyFlag: []string{"ssbd", "amd_ssbd", "virt_ssbd"}, MinLinux: "5.11",
		Reason: "kvm_amd offers VIRT_SSBD (the VIRT_SPEC_CTRL MSR) whenever the host has LS_CFG_SSBD or AMD_SSBD",
		Source: srcSVM + " (if (boot_cpu_has(X86_FEATURE_LS_CFG_SSBD) || boot_cpu_has(X86_FEATURE_AMD_SSBD)) kvm_cpu_cap_set(X86_FEATURE_VIRT_SSBD))"},
	{ID: "ibpb-intel", Kind: KindSynthesized, Vendors: intel, Features: []string{"ibpb"}, RequiresFeatures: []string{"spec-ctrl"},
		MinLinux: "6.10",
		Reason:   "KVM sets AMD's IBPB bit on Intel when the host kernel has IBPB (from SPEC_CTRL): \"AMD has separate bits for each SPEC_CTRL bit\"",
		Source:   srcCaps610 + " (if (boot_cpu_has(X86_FEATURE_IBPB)) kvm_cpu_cap_set(X86_FEATURE_AMD_IBPB))"},
	{ID: "ibrs-intel", Kind: KindSynthesized, Vendors: intel, Features: []string{"ibrs"}, RequiresFeatures: []string{"spec-ctrl"},
		MinLinux: "6.16",
		Reason:   "KVM sets AMD's IBRS bit on Intel when the host kernel has IBRS (from SPEC_CTRL)",
		Source:   srcCaps + " (if (boot_cpu_has(X86_FEATURE_IBRS)) kvm_cpu_cap_set(X86_FEATURE_AMD_IBRS))"},
	{ID: "amd-stibp-intel", Kind: KindSynthesized, Vendors: intel, Features: []string{"amd-stibp"}, RequiresFeatures: []string{"stibp"},
		MinLinux: "6.10",
		Reason:   "KVM sets AMD's STIBP bit on Intel when the host kernel has STIBP",
		Source:   srcCaps610 + " (if (boot_cpu_has(X86_FEATURE_STIBP)) kvm_cpu_cap_set(X86_FEATURE_AMD_STIBP))"},
	{ID: "amd-ssbd-intel", Kind: KindSynthesized, Vendors: intel, Features: []string{"amd-ssbd"}, RequiresFeatures: []string{"ssbd"},
		MinLinux: "6.10",
		Reason:   "KVM sets AMD's SSBD bit on Intel when the host has SPEC_CTRL_SSBD",
		Source:   srcCaps610 + " (if (boot_cpu_has(X86_FEATURE_SPEC_CTRL_SSBD)) kvm_cpu_cap_set(X86_FEATURE_AMD_SSBD))"},
	{ID: "spec-ctrl-intel", Kind: KindPassthrough, Vendors: intel, Features: []string{"spec-ctrl", "stibp", "ssbd"}, MinLinux: "4.20", MinQEMU: "5.0",
		Reason: "Intel's speculation-control bits pass through (F(SPEC_CTRL), F(INTEL_STIBP), F(SPEC_CTRL_SSBD)) on kernels that know them; stacks older than QEMU 5.0 did not always give them (stibp disabled on 7 and spec-ctrl on 1 Intel reference host)",
		Source: srcCaps420 + "; " + srcRefData + qemu50},
	{ID: "amd-spec-bits", Kind: KindPassthrough, Vendors: amd, Features: []string{"ibpb", "amd-ssbd", "amd-no-ssb", "stibp-always-on", "amd-psfd"},
		Reason: "AMD's speculation-control bits of 0x80000008 EBX pass through (F(AMD_IBPB), F(AMD_SSBD), F(AMD_SSB_NO), F(AMD_STIBP_ALWAYS_ON), F(AMD_PSFD))",
		Source: srcCaps},
	{ID: "amd-ibrs-stibp", Kind: KindPassthrough, Vendors: amd, Features: []string{"ibrs", "amd-stibp"}, MinLinux: "6.16",
		Reason: "AMD's IBRS and STIBP bits pass through (F(AMD_IBRS), F(AMD_STIBP)) on current kernels; on two reference hosts (EPYC 7502, Ryzen 9 3900X) the stack of the time did not give them",
		Source: srcCaps + "; " + srcRefData},

	// --- Always emulated or synthesized by KVM/QEMU.
	{ID: "hypervisor", Kind: KindEmulated, Features: []string{"hypervisor"},
		Reason: "QEMU always sets the hypervisor bit for its guests (kvm_arch_get_supported_cpuid: ret |= CPUID_EXT_HYPERVISOR; KVM: EMULATED_F(HYPERVISOR))",
		Source: srcQEMU + "; " + srcCaps},
	{ID: "x2apic", Kind: KindEmulated, Features: []string{"x2apic"},
		Reason: "KVM emulates the x2APIC whatever the host has (EMULATED_F(X2APIC)); QEMU keeps it with the in-kernel irqchip libvirt always uses",
		Source: srcCaps + "; " + srcQEMU},
	{ID: "tsc-deadline-host", Kind: KindPassthrough, Features: []string{"tsc-deadline"},
		Reason: "the TSC-deadline timer is emulated by KVM's local APIC (EMULATED_F(TSC_DEADLINE_TIMER)) and QEMU enables it with KVM_CAP_TSC_DEADLINE_TIMER and the in-kernel irqchip; given on every reference stack whose host has it",
		Source: srcCaps + "; " + srcQEMU + "; " + srcRefData},
	{ID: "tsc-deadline", Kind: KindEmulated, Features: []string{"tsc-deadline"}, MinQEMU: "5.0",
		Reason: "KVM emulates the TSC-deadline timer whatever the host has (EMULATED_F(TSC_DEADLINE_TIMER)); QEMU enables it with KVM_CAP_TSC_DEADLINE_TIMER and the in-kernel irqchip; 3 reference stacks older than QEMU 5.0 whose host lacks it did not add it",
		Source: srcCaps + "; " + srcQEMU + "; " + srcThisStack + "; " + srcRefData + qemu50},
	{ID: "tsc-adjust", Kind: KindEmulated, Features: []string{"tsc_adjust"}, MinLinux: "4.20", MinQEMU: "5.0",
		Reason: "KVM emulates IA32_TSC_ADJUST whatever the host has (EMULATED_F(TSC_ADJUST)); one reference stack older than QEMU 5.0 (Xeon E5-2650 v3) did not give it",
		Source: srcCaps420 + "; " + srcThisStack + "; " + srcRefData + qemu50},
	{ID: "arat", Kind: KindEmulated, Features: []string{"arat"}, MinQEMU: "5.0",
		Reason: "the APIC timer is always running for a guest: KVM reports leaf 6 EAX = ARAT only and QEMU adds it (\"safe to allow because of emulated APIC\"); 7 reference stacks older than QEMU 5.0 did not give it",
		Source: srcCaps + " (__do_cpuid_func case 6: entry->eax = 0x4); " + srcQEMU + "; " + srcThisStack + "; " + srcRefData + qemu50},
	{ID: "arch-capabilities", Kind: KindEmulated, Features: []string{"arch-capabilities"}, MinLinux: "6.10",
		Reason: "KVM emulates IA32_ARCH_CAPABILITIES on every host (EMULATED_F(ARCH_CAPABILITIES)); QEMU keeps the bit when KVM lists the MSR; one Intel reference stack did not give it",
		Source: srcCaps610 + " (kvm_cpu_cap_set(X86_FEATURE_ARCH_CAPABILITIES)); " + srcQEMU + "; " + srcRefData},

	// --- Stack-dependent passthrough: current kernels give them, some
	// reference stacks did not.
	{ID: "xsaveopt", Kind: KindPassthrough, Features: []string{"xsaveopt"}, MinLinux: "4.20", MinQEMU: "5.0",
		Reason: "XSAVEOPT passes through (F(XSAVEOPT) in the 0xD.1 mask); one reference stack older than QEMU 5.0 (Xeon E5-2650 v3) did not give it",
		Source: srcCaps420 + "; " + srcRefData + qemu50},
	{ID: "sha-ni", Kind: KindPassthrough, Features: []string{"sha-ni"}, MinLinux: "4.20", MinQEMU: "5.0",
		Reason: "SHA-NI passes through (F(SHA_NI)); the Ryzen 7 1800X reference stack, older than QEMU 5.0, did not give it",
		Source: srcCaps420 + "; " + srcRefData + qemu50},
	{ID: "rdtscp-amd", Kind: KindPassthrough, Vendors: amd, Features: []string{"rdtscp"}, MinLinux: "5.7", MinQEMU: "5.0",
		Reason: "RDTSCP passes through (F(RDTSCP)), but kvm_amd gained RDTSCP support late: 5 AMD reference stacks, all older than QEMU 5.0, did not give it",
		Source: srcCaps57 + "; " + srcRefData + qemu50},
	{ID: "rdtscp-vmx", Kind: KindPassthrough, Vendors: intel, Features: []string{"rdtscp"},
		Reason: "RDTSCP passes through on VMX hosts with the enable-RDTSCP control (vmx_set_cpu_caps), which every VMX CPU with RDTSCP has",
		Source: srcVMX},
	{ID: "amd-8000-0008", Kind: KindPassthrough, Vendors: amd, Features: []string{"clzero", "xsaveerptr"}, MinLinux: "5.7",
		Reason: "CLZERO and XSAVEERPTR pass through (F(CLZERO), F(XSAVEERPTR)) since they joined the 0x80000008 EBX mask; 3 AMD reference stacks did not give them",
		Source: srcCaps57 + "; " + srcRefData},
	{ID: "md-clear-rdpid", Kind: KindPassthrough, Features: []string{"md-clear", "rdpid"}, MinLinux: "5.6",
		Reason: "MD_CLEAR and RDPID pass through (F(MD_CLEAR), F(RDPID)); one Intel reference stack each did not give them",
		Source: srcCaps56 + "; " + srcRefData},
	{ID: "recent-7", Kind: KindPassthrough, Features: []string{"fdp-excptn-only", "zero-fcs-fds", "flush-l1d", "fsrm", "waitpkg", "serialize", "tsx-ldtrk", "avx512-fp16", "amx-tile", "amx-int8", "amx-bf16", "avx-vnni", "avx512-bf16", "cmpccxadd", "fzrm", "fsrs", "fsrc", "wrmsrns", "amx-fp16", "avx-ifma", "lam", "rrsba-ctrl", "bhi-ctrl", "xfd", "bus-lock-detect", "avx512-vp2intersect", "movdiri", "movdir64b", "cldemote"},
		MinLinux: "6.16",
		Reason:   "passes through on current kernels (listed in kvm_set_cpu_caps' 7.x/0xD.1 masks, WAITPKG by vmx_set_cpu_caps), but the reference stacks that had the bit mostly did not give it (zero-fcs-fds disabled on 28 hosts, flush-l1d on 12, fdp-excptn-only on 8)",
		Source:   srcCaps + "; " + srcVMX + "; " + srcRefData},
	{ID: "amd-recent", Kind: KindPassthrough, Vendors: amd, Features: []string{"no-nested-data-bp", "lfence-always-serializing", "null-sel-clr-base", "auto-ibrs", "sbpb", "ibpb-brtype", "srso-no", "srso-user-kernel-no", "wbnoinvd"},
		MinLinux: "6.16",
		Reason:   "AMD 0x80000008/0x80000021 bits that current kernels pass through or synthesize",
		Source:   srcCaps},
	{ID: "succor", Kind: KindEmulated, Vendors: amd, Features: []string{"succor", "overflow-recov"}, MinQEMU: "10.1",
		Reason: "QEMU adds MCA overflow recovery and SUCCOR to 0x80000007 EBX itself, but older QEMU did not: disabled on all 5 AMD reference hosts that have them",
		Source: srcQEMU + " (ret |= CPUID_8000_0007_EBX_OVERFLOW_RECOV | CPUID_8000_0007_EBX_SUCCOR); " + srcRefData},

	// --- The long-standing passthrough set: listed in KVM's masks since at
	// least Linux 4.20 and given on every reference stack whose host had it.
	passthrough("cpuid-1", "passes through: listed in KVM's CPUID.1 ECX/EDX masks (F()), given on every reference stack", srcCaps420,
		"pni", "pclmuldq", "ssse3", "fma", "cx16", "pcid", "sse4.1", "sse4.2", "movbe", "popcnt", "aes", "xsave", "avx", "f16c", "rdrand",
		"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2", "ss"),
	passthrough("cpuid-7", "passes through: listed in KVM's CPUID.7 masks (F()), given on every reference stack", srcCaps420,
		"fsgsbase", "bmi1", "avx2", "smep", "bmi2", "erms", "invpcid", "rdseed", "adx", "smap", "avx512ifma", "clflushopt", "clwb",
		"avx512pf", "avx512er", "avx512cd", "avx512f", "avx512dq", "avx512bw", "avx512vl",
		"avx512vbmi", "la57", "avx512-vpopcntdq", "avx512vbmi2", "gfni", "vaes", "vpclmulqdq", "avx512vnni", "avx512bitalg",
		"avx512-4vnniw", "avx512-4fmaps", "umip"),
	{ID: "mpx", Kind: KindPassthrough, Vendors: intel, Features: []string{"mpx"},
		Reason: "MPX passes through on VMX hosts with the BNDCFGS entry/exit controls (vmx_set_cpu_caps: if (kvm_mpx_supported()) kvm_cpu_cap_check_and_set(X86_FEATURE_MPX)); kvm_amd never gives it",
		Source: srcVMX},
	passthrough("cpuid-d1", "passes through: listed in KVM's CPUID.0xD.1 mask (F(XSAVEC), F(XGETBV1))", srcCaps420, "xsavec", "xgetbv1"),
	passthrough("cpuid-ext", "passes through: listed in KVM's 0x80000001 masks (F()), given on every reference stack", srcCaps420,
		"lahf_lm", "cmp_legacy", "cr8legacy", "abm", "sse4a", "misalignsse", "3dnowprefetch", "osvw", "xop", "fma4", "tbm",
		"syscall", "nx", "mmxext", "fxsr_opt", "pdpe1gb", "rdtscp", "lm", "3dnowext", "3dnow", "virt-ssbd"),

	// --- Never given.
	notVirtualized("host-only-1", "host-only CPUID.1 bit KVM's mask leaves clear (DS-CPL, SMX, EST, TM2, CNXT-ID, xTPR, DCA, PSN, ACPI, TM, PBE; DTES64/DS only with PEBS virtualization, which needs a PMU with PEBS baseline)", srcCaps+" (CPUID_1_ECX/EDX comments) and "+srcVMX+" (vmx_pebs_supported)",
		"dtes64", "ds_cpl", "smx", "est", "tm2", "cid", "xtpr", "dca", "pn", "ds", "acpi", "tm", "pbe", "ia64"),
	notVirtualized("ht", "HTT is not a host capability to pass on: KVM never reports it and QEMU sets it from the guest's own topology", srcQEMU, "ht"),
	notVirtualized("monitor", "MONITOR/MWAIT are emulated as NOPs but not advertised (\"MONITOR (and MWAIT) are emulated as NOP, but *not* advertised to guests via CPUID\"); only QEMU -overcommit cpu-pm=on passes them through", srcCaps, "monitor"),
	notVirtualized("os-state", "mirrors a control-register bit the running kernel set (RUNTIME_F(OSXSAVE), RUNTIME_F(OSPKE)); KVM sets it from the guest's own CR4", srcCaps, "osxsave", "ospke"),
	notVirtualized("invtsc", "the invariant TSC blocks migration: QEMU's migratable \"-cpu host\" drops it (unmigratable_flags) and libvirt marks it migratable='no'", srcQEMUCPU+"; "+srcLibvirt, "invtsc"),
	notVirtualized("rdt", "resource-director monitoring is not virtualized: not in KVM's masks, and libvirt drops cmt, mbm_total and mbm_local from host-model", srcCaps+"; "+srcLibvirt, "cmt", "mbm_total", "mbm_local"),
	notVirtualized("sgx", "SGX needs kvm_intel enable_sgx and an EPC section, and a guest with an enclave cannot migrate (QEMU has no EPC migration); disabled on every reference host that has it", srcVMX+"; "+srcRefData, "sgx", "sgxlc", "sgx1", "sgx2", "sgx-exinfo", "sgx-kss", "sgx-aex-notify", "sgx-edeccssa", "sgx-provisionkey", "sgx-tokenkey", "sgx-debug", "sgx-mode64"),
	notVirtualized("amd-host-only", "AMD host facilities KVM's 0x80000001 ECX mask leaves out (ExtApicSpace, IBS, SKINIT, WDT, LWP, NodeId, TCE, PerfCtrNb)", srcCaps+" (CPUID_8000_0001_ECX comments)",
		"extapic", "ibs", "skinit", "wdt", "lwp", "nodeid_msr", "tce", "perfctr_nb"),
	notVirtualized("topoext", "QEMU reports TOPOEXT as supported, but a guest gets it only with a topology it can describe; every reference AMD host that has it had it disabled, and the rig's QEMU 7.2 gives no topoext", srcQEMU+"; "+srcRefData+"; "+srcThisStack, "topoext"),
	{ID: "msr-features", Kind: KindMSR, Features: []string{"ibrs-all", "rdctl-no", "skip-l1dfl-vmentry", "ssb-no", "mds-no", "pschange-mc-no", "tsx-ctrl", "taa-no", "fb-clear", "sbdr-ssdp-no", "fbsdp-no", "psdp-no", "pbrsb-no", "rfds-no", "rfds-clear", "gds-no", "bhi-no", "its-no"},
		Reason: "an IA32_ARCH_CAPABILITIES bit: /proc/cpuinfo does not show the MSR, and KVM computes the guest's value from the host's bugs and mitigations (kvm_get_arch_capabilities), so a capture cannot predict it",
		Source: "Linux arch/x86/kvm/x86.c kvm_get_arch_capabilities"},
	notVirtualized("not-in-masks", "not in any of KVM's supported-CPUID masks (architectural LBRs, PKS, CET, the core-capabilities MSR), so KVM never gives it", srcCaps,
		"arch-lbr", "pks", "core-capability", "cet-ss", "cet-ibt", "pconfig", "split-lock-detect"),
}
