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
	// MinLinux / MinQEMU: the rule holds only on a stack at least this new:
	// the first release whose source was read and has the behaviour (Source
	// names the releases read on either side).
	MinLinux string `json:"min_linux,omitempty"`
	MinQEMU  string `json:"min_qemu,omitempty"`
	// BeforeLinux: the rule holds only on a kernel older than this (KVM
	// changed the behaviour in that release).
	BeforeLinux string `json:"before_linux,omitempty"`
	Reason      string `json:"reason"`
	Source      string `json:"source"`
}

// Sources, as cited by the rules. A version gate names the files it was
// read from and the releases: "absent @vA, present @vB" means release A's
// source lacks the behaviour and release B's has it, so B is the first
// release known to have it (the releases between A and B were not read;
// docs/GUESTVIEW.md lists every tree read). "present @vB (oldest read)"
// means every release read has it: the gate is the oldest release read, the
// real first release is older.
const (
	srcCaps    = "Linux arch/x86/kvm/cpuid.c kvm_set_cpu_caps @v6.16.1"
	srcVMX     = "Linux arch/x86/kvm/vmx/vmx.c vmx_set_cpu_caps @v6.16.1"
	srcSVM     = "Linux arch/x86/kvm/svm/svm.c svm_set_cpu_caps @v6.16.1"
	srcQEMU    = "QEMU target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid @v10.2.2"
	srcQEMUCPU = "QEMU target/i386/cpu.c feature_word_info (unmigratable_flags) and x86_cpu_get_supported_feature_word"
	srcLibvirt = "libvirt src/qemu/qemu_capabilities.c virQEMUCapsCPUFilterFeatures and src/cpu_map/x86_features.xml"
	srcRefData = "libvirt 11.3.0 tests/cputestdata (-disabled.xml of the 51 reference hosts)"
	srcRig     = "this project's rig: virsh domcapabilities with QEMU 7.2 on Linux 6.18"

	// The oldest releases read: a gate at these is "present in every
	// release read", not a first release.
	oldestLinux = "4.19"
	oldestQEMU  = "4.1"

	kvmCPUID = "Linux arch/x86/kvm/cpuid.c"
	qemuName = "QEMU target/i386/cpu.c feature_word_info"
)

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
	// SVM sub-features (CPUID 0x8000000A EDX) that kvm_amd advertises to a
	// nested guest when nested=1 and its own module parameter and the
	// hardware bit are on; each arrived in a different release.
	{ID: "nested-svm-addr-chk", Kind: KindNested, Features: []string{"svme-addr-chk"}, MinLinux: "5.12", MinQEMU: "6.2",
		Reason: "kvm_amd advertises SVME_ADDR_CHK to nested guests (nested=1) since Linux 5.12; QEMU names it since 6.2 (6.0/6.1 not read, 6.2 assumed)",
		Source: svmAt("kvm_cpu_cap_set(X86_FEATURE_SVME_ADDR_CHK)", "5.11.14", "5.12.9") + "; " + qemuAt("svme-addr-chk", "5.2.0", "6.2.0")},
	{ID: "nested-svm-vmcb-clean", Kind: KindNested, Features: []string{"vmcb-clean", "tsc-scale"}, MinLinux: "5.17", MinQEMU: oldestQEMU,
		Reason: "kvm_amd advertises VMCB clean bits and TSC scaling to nested guests (nested=1) since Linux 5.17 (5.16 not read, 5.17 assumed)",
		Source: svmAt("kvm_cpu_cap_set(X86_FEATURE_VMCBCLEAN/TSCRATEMSR)", "5.15.16", "5.17.0-rc5") + "; " + qemuAt("vmcb-clean", "", "4.1.0")},
	{ID: "nested-svm-lbrv", Kind: KindNested, Features: []string{"v-vmsave-vmload", "lbrv", "pause-filter", "pfthreshold", "vgif"}, MinLinux: "5.19", MinQEMU: "6.2",
		Reason: "kvm_amd advertises virtual VMSAVE/VMLOAD, LBR virtualization, the pause filter and virtual GIF to nested guests (nested=1) since Linux 5.19 (5.18 not read); QEMU names v-vmsave-vmload and vgif since 6.2 (6.0/6.1 not read)",
		Source: svmAt("kvm_cpu_cap_set(X86_FEATURE_V_VMSAVE_VMLOAD/LBRV/PAUSEFILTER/PFTHRESHOLD/VGIF)", "5.17.0-rc5", "5.19.0") + "; " + qemuAt("vgif", "5.2.0", "6.2.0")},
	{ID: "nested-svm-vnmi", Kind: KindNested, Features: []string{"vnmi"}, MinLinux: "6.4", MinQEMU: "8.1",
		Reason: "kvm_amd advertises virtual NMI to nested guests (nested=1) since Linux 6.4; QEMU names it since 8.1 (8.0 not read)",
		Source: svmAt("kvm_cpu_cap_set(X86_FEATURE_VNMI)", "6.3.8", "6.4.4") + "; " + qemuAt("vnmi", "7.2.0", "8.1.0")},
	{ID: "nested-svm-flushbyasid", Kind: KindNested, Features: []string{"flushbyasid"}, MinLinux: "6.8", MinQEMU: oldestQEMU,
		Reason: "kvm_amd advertises flush-by-ASID to nested guests (nested=1) since Linux 6.8 (6.7 not read)",
		Source: svmAt("kvm_cpu_cap_set(X86_FEATURE_FLUSHBYASID)", "6.6.47", "6.8.0") + "; " + qemuAt("flushbyasid", "", "4.1.0")},
	notVirtualized("svm-host-only", "SVM capabilities KVM never passes to a guest (decode assists, AVIC, SVM lock are used by the host's KVM itself)", srcCaps+" (CPUID_8000_000A_EDX)",
		"decodeassists", "avic", "svm-lock", "x2avic"),

	// --- Module parameters and QEMU switches.
	{ID: "pt-mode", Kind: KindParameter, Option: OptionPT, Vendors: intel, Features: []string{"intel-pt"}, MinLinux: "5.0", MinQEMU: oldestQEMU,
		Reason: "Intel PT is given only when kvm_intel runs with pt_mode=1 (host_guest); the default pt_mode=0 keeps it for the host (vmx_set_cpu_caps: if (vmx_pt_mode_is_host_guest()) kvm_cpu_cap_check_and_set(X86_FEATURE_INTEL_PT))",
		Source: srcVMX + "; " + kvmAt("INTEL_PT (kvm_x86_ops->pt_supported)", "4.20.0", "5.0.1")},
	{ID: "pt-mode-lip", Kind: KindParameter, Option: OptionPT, Vendors: intel, Features: []string{"intel-pt-lip"}, MinLinux: "5.0", MinQEMU: "6.2",
		Reason: "a property of Intel PT (CPUID 0x14), given with it when kvm_intel runs with pt_mode=1; QEMU names it since 6.2 (6.0/6.1 not read)",
		Source: srcVMX + "; " + qemuAt("intel-pt-lip", "5.2.0", "6.2.0")},
	{ID: "pmu-pdcm", Kind: KindParameter, Option: OptionPMU, Vendors: intel, Features: []string{"pdcm"}, MinLinux: "5.8", MinQEMU: oldestQEMU,
		Reason: "PDCM (IA32_PERF_CAPABILITIES) comes with the virtual PMU: KVM clears it when enable_pmu=0 and QEMU drops it when the guest has no PMU (libvirt <pmu state='off'/>, the default for a named model); disabled on 40 of the 41 Intel reference hosts; kvm_intel sets it since Linux 5.8",
		Source: srcVMX + " (if (!enable_pmu) kvm_cpu_cap_clear(X86_FEATURE_PDCM)); " + kvmAt("F(PDCM) in the CPUID.1 ECX mask", "5.7.14", "5.8.1") + "; " + srcRefData},
	{ID: "pmu-amd", Kind: KindParameter, Option: OptionPMU, Vendors: amd, Features: []string{"perfctr_core"}, MinLinux: oldestLinux, MinQEMU: oldestQEMU,
		Reason: "AMD core performance counters are advertised only with the virtual PMU (svm_set_cpu_caps: if (enable_pmu && boot_cpu_has(X86_FEATURE_PERFCTR_CORE)) ...)",
		Source: srcSVM + "; " + kvmAt("F(PERFCTR_CORE)", "", "4.19.0")},
	{ID: "pmu-amd-v2", Kind: KindParameter, Option: OptionPMU, Vendors: amd, Features: []string{"perfmon-v2"}, MinLinux: "6.5", MinQEMU: "9.2",
		Reason: "AMD PerfMonV2 (leaf 0x80000022) is advertised only with the virtual PMU, since Linux 6.5; QEMU names it since 9.2 (8.2-9.1 not read)",
		Source: srcSVM + "; " + kvmAt("F(PERFMON_V2)", "6.4.4", "6.5.0") + "; " + qemuAt("perfmon-v2", "8.1.0", "9.2.4")},

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
	{ID: "xsaves-amd", Kind: KindPassthrough, Vendors: amd, Features: []string{"xsaves"}, MinLinux: "5.6", MinQEMU: oldestQEMU,
		Reason: "kvm_amd gives XSAVES only since Linux 5.6: before it svm_xsaves_supported() returned false (5.5 not read, 5.6 assumed)",
		Source: readAt("Linux arch/x86/kvm/svm.c svm_xsaves_supported() returns boot_cpu_has(X86_FEATURE_XSAVES)", "5.4.286", "5.6.4") + "; " + qemuAt("xsaves", "", "4.1.0")},
	{ID: "xsaves", Kind: KindPassthrough, Vendors: intel, Features: []string{"xsaves"}, MinLinux: oldestLinux, MinQEMU: oldestQEMU,
		Reason: "XSAVES passes through on VMX hosts with the XSAVES execution control (f_xsaves, F(XSAVES)); every release read has it, and reference stacks older than the oldest sources read did not give it (disabled on 4 Intel hosts; libvirt marks it migratable='no')",
		Source: kvmAt("F(XSAVES) (f_xsaves)", "", "4.19.0") + "; " + qemuAt("xsaves", "", "4.1.0") + "; " + srcVMX + " (if (!cpu_has_vmx_xsaves()) kvm_cpu_cap_clear(X86_FEATURE_XSAVES)); " + srcRefData},
	{ID: "invpcid-vmx", Kind: KindPassthrough, Vendors: intel, Features: []string{"invpcid"},
		RequiresFeatures: []string{"pcid"},
		Reason:           "INVPCID passes through on VMX hosts with the enable-INVPCID execution control (vmx_set_cpu_caps clears it otherwise); every CPU with INVPCID and PCID has it",
		Source:           srcVMX},
	{ID: "umip-vmx", Kind: KindEmulated, Vendors: intel, Features: []string{"umip"}, RequiresVMXFlags: []string{"desc_exiting"},
		MinLinux: oldestLinux, MinQEMU: oldestQEMU,
		Reason: "KVM emulates UMIP on VMX hosts with descriptor-table exiting (vmx_set_cpu_caps: if (vmx_umip_emulated()) kvm_cpu_cap_set(X86_FEATURE_UMIP)); added only when the capture's \"vmx flags\" line shows desc_exiting",
		Source: srcVMX + "; " + kvmAt("f_umip = kvm_x86_ops->umip_emulated() ? F(UMIP) : 0", "", "4.19.0")},

	// --- Speculation control: each vendor's bits synthesized from the
	// other's. Linux 5.6 is the first release read whose KVM derives them
	// from the kernel's vendor-independent IBPB/IBRS/STIBP/SSBD (5.3.1 does
	// not; 5.4.286 has it through the stable series; 5.4.0 and 5.5 not read).
	{ID: "spec-ctrl-amd-ibpb-ibrs", Kind: KindSynthesized, Vendors: amd, Features: []string{"spec-ctrl"},
		RequiresFeatures: []string{"ibpb", "ibrs"}, MinLinux: "5.6", BeforeLinux: "6.13", MinQEMU: oldestQEMU,
		Reason: "from Linux 5.6 to 6.12 KVM sets Intel's SPEC_CTRL on AMD hosts with IBPB and IBRS (if (boot_cpu_has(X86_FEATURE_IBPB) && boot_cpu_has(X86_FEATURE_IBRS)) ...SPEC_CTRL); Linux 6.13 replaced the condition (\"AMD's IBPB is not equivalent to Intel's IBPB\"); 6.12.95 and 6.1.176, released long after, kept the old one, so no stable series is assumed to have the change (5.10/5.15/6.6 releases after it were not read); libvirt's EPYC 7502 data shows it",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_IBPB) && boot_cpu_has(X86_FEATURE_IBRS)) ...SPEC_CTRL", "5.3.1", "5.6.4") + "; still @v6.12.0, @v6.12.95 and @v6.1.176 (July 2026); replaced @v6.13.7; " + srcRefData},
	{ID: "spec-ctrl-amd", Kind: KindSynthesized, Vendors: amd, Features: []string{"spec-ctrl"},
		RequiresFeatures: []string{"ibpb", "ibrs"}, RequiresFlags: []string{"amd_ibpb_ret"}, MinLinux: "6.13", MinQEMU: oldestQEMU,
		Reason: "since Linux 6.13 KVM sets Intel's SPEC_CTRL on AMD only when the host's IBPB also flushes return predictions (AMD_IBPB_RET) and it has IBPB and IBRS; kernels 6.11 and later do not show amd_ibpb_ret in /proc/cpuinfo, so only a capture from an older kernel that prints it can prove it (a libvirt capture shows the real answer)",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_AMD_IBPB_RET) && ...AMD_IBPB && ...AMD_IBRS) ...SPEC_CTRL", "6.12.0", "6.13.7") + "; Linux arch/x86/include/asm/cpufeatures.h AMD_IBPB_RET without a display name @v6.13.7, @v6.16.1"},
	{ID: "stibp-amd", Kind: KindSynthesized, Vendors: amd, Features: []string{"stibp"}, RequiresFeatures: []string{"amd-stibp"},
		MinLinux: "5.6", MinQEMU: oldestQEMU,
		Reason: "KVM sets Intel's STIBP on AMD hosts whose kernel has STIBP (from AMD's 0x80000008 EBX[15]); unchanged by Linux 6.13",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_STIBP)) ...INTEL_STIBP", "5.3.1", "5.6.4") + "; still @v6.16.1; " + srcRefData},
	{ID: "ssbd-amd", Kind: KindSynthesized, Vendors: amd, Features: []string{"ssbd"}, RequiresFeatures: []string{"amd-ssbd"},
		MinLinux: "5.6", MinQEMU: oldestQEMU,
		Reason: "KVM sets Intel's SPEC_CTRL_SSBD on AMD hosts with AMD_SSBD; unchanged by Linux 6.13",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_AMD_SSBD)) ...SPEC_CTRL_SSBD", "5.3.1", "5.6.4") + "; still @v6.16.1; " + srcRefData},
	{ID: "virt-ssbd-amd-ssbd", Kind: KindSynthesized, Vendors: amd, Features: []string{"virt-ssbd"},
		RequiresFeatures: []string{"amd-ssbd"}, MinLinux: "5.7", MinQEMU: oldestQEMU,
		Reason: "since Linux 5.7 kvm_amd offers VIRT_SSBD (the VIRT_SPEC_CTRL MSR) on hosts with AMD_SSBD too",
		Source: readAt("Linux arch/x86/kvm/svm/svm.c svm_set_cpu_caps: if (boot_cpu_has(X86_FEATURE_LS_CFG_SSBD) || boot_cpu_has(X86_FEATURE_AMD_SSBD)) ...VIRT_SSBD", "5.6.4", "5.7.14")},
	{ID: "virt-ssbd-ls-cfg", Kind: KindSynthesized, Vendors: amd, Features: []string{"virt-ssbd"},
		RequiresAnyFlag: []string{"ssbd", "virt_ssbd"}, UnlessFeatures: []string{"amd-ssbd"}, MinLinux: oldestLinux, MinQEMU: oldestQEMU,
		Reason: "KVM offers VIRT_SSBD on AMD hosts whose SSBD works through the LS_CFG MSR (Linux shows ssbd without amd_ssbd) or that have VIRT_SSBD themselves",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_LS_CFG_SSBD) && !boot_cpu_has(X86_FEATURE_AMD_SSBD)) ...VIRT_SSBD", "", "4.19.0")},
	{ID: "ibpb-intel", Kind: KindSynthesized, Vendors: intel, Features: []string{"ibpb"}, RequiresFeatures: []string{"spec-ctrl"},
		MinLinux: "5.6", MinQEMU: oldestQEMU,
		Reason: "KVM sets AMD's IBPB bit on Intel hosts whose kernel has IBPB (from SPEC_CTRL): \"AMD has separate bits for each SPEC_CTRL bit\"",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_IBPB)) ...AMD_IBPB", "5.3.1", "5.6.4")},
	{ID: "ibrs-intel", Kind: KindSynthesized, Vendors: intel, Features: []string{"ibrs"}, RequiresFeatures: []string{"spec-ctrl"},
		MinLinux: "5.6", MinQEMU: "6.2",
		Reason: "KVM sets AMD's IBRS bit on Intel hosts whose kernel has IBRS (from SPEC_CTRL); QEMU names AMD's IBRS bit only since 6.2 (6.0/6.1 not read, 6.2 assumed)",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_IBRS)) ...AMD_IBRS", "5.3.1", "5.6.4") + "; " + qemuAt("ibrs (FEAT_8000_0008_EBX)", "5.2.0", "6.2.0")},
	{ID: "amd-stibp-intel", Kind: KindSynthesized, Vendors: intel, Features: []string{"amd-stibp"}, RequiresFeatures: []string{"stibp"},
		MinLinux: "5.6", MinQEMU: "5.0",
		Reason: "KVM sets AMD's STIBP bit on Intel hosts whose kernel has STIBP; QEMU names it since 5.0",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_STIBP)) ...AMD_STIBP", "5.3.1", "5.6.4") + "; " + qemuAt("amd-stibp", "4.1.0", "5.0.0")},
	{ID: "amd-ssbd-intel", Kind: KindSynthesized, Vendors: intel, Features: []string{"amd-ssbd"}, RequiresFeatures: []string{"ssbd"},
		MinLinux: "5.6", MinQEMU: oldestQEMU,
		Reason: "KVM sets AMD's SSBD bit on Intel hosts with SPEC_CTRL_SSBD",
		Source: kvmAt("if (boot_cpu_has(X86_FEATURE_SPEC_CTRL_SSBD)) ...AMD_SSBD", "5.3.1", "5.6.4")},
	gated("spec-ctrl-intel", intel, oldestLinux, oldestQEMU,
		"Intel's SPEC_CTRL and SSBD bits pass through (F(SPEC_CTRL), F(SPEC_CTRL_SSBD)); every release read has them, and one reference stack older than the oldest sources read did not give spec-ctrl",
		kvmAt("F(SPEC_CTRL) | F(SPEC_CTRL_SSBD)", "", "4.19.0")+"; "+qemuAt("spec-ctrl", "", "4.1.0")+"; "+srcRefData,
		"spec-ctrl", "ssbd"),
	gated("stibp-intel", intel, "5.0", oldestQEMU,
		"Intel's STIBP passes through since Linux 5.0 (F(INTEL_STIBP)); 4.19 and 4.20 leave it out of the 7.EDX mask (stibp disabled on 7 Intel reference hosts)",
		kvmAt("F(INTEL_STIBP)", "4.20.0", "5.0.1")+"; "+qemuAt("stibp", "", "4.1.0")+"; "+srcRefData,
		"stibp"),
	{ID: "amd-spec-bits", Kind: KindPassthrough, Vendors: amd, Features: []string{"ibpb", "amd-ssbd", "amd-no-ssb"},
		Reason: "AMD's IBPB, SSBD and SSB_NO bits of 0x80000008 EBX pass through (F(AMD_IBPB), F(AMD_SSBD), F(AMD_SSB_NO)): in every release read and given on every reference stack whose host had them",
		Source: kvmAt("F(AMD_IBPB) | F(AMD_SSBD) | F(AMD_SSB_NO)", "", "4.19.0") + "; " + qemuAt("ibpb", "", "4.1.0") + "; " + srcRefData},
	gated("amd-stibp", amd, "5.0", "5.0",
		"AMD's STIBP bit passes through since Linux 5.0 (F(AMD_STIBP)); QEMU names it since 5.0; one reference stack with QEMU's VMX properties (Ryzen 9 3900X) still did not give it",
		kvmAt("F(AMD_STIBP)", "4.20.0", "5.0.1")+"; "+qemuAt("amd-stibp", "4.1.0", "5.0.0")+"; "+srcRefData,
		"amd-stibp"),
	gated("amd-ibrs", amd, oldestLinux, "6.2",
		"AMD's IBRS bit passes through (F(AMD_IBRS)); QEMU names it only since 6.2 (5.2 does not; 6.0/6.1 not read): the EPYC 7502 reference stack, a QEMU 5.x, did not give it",
		kvmAt("F(AMD_IBRS)", "", "4.19.0")+"; "+qemuAt("ibrs (FEAT_8000_0008_EBX)", "5.2.0", "6.2.0")+"; "+srcRefData,
		"ibrs"),
	gated("amd-stibp-always-on", amd, "5.3", "8.1",
		"AMD's STIBP-always-on hint passes through since Linux 5.3 (F(AMD_STIBP_ALWAYS_ON)); QEMU names it since 8.1 (8.0 not read)",
		kvmAt("F(AMD_STIBP_ALWAYS_ON)", "5.2.1", "5.3.1")+"; "+qemuAt("stibp-always-on", "7.2.0", "8.1.0"),
		"stibp-always-on"),
	gated("amd-psfd", amd, "5.17", "8.1",
		"AMD's PSFD bit passes through since Linux 5.17 (5.16 not read); QEMU names it since 8.1 (8.0 not read)",
		kvmAt("__feature_bit(KVM_X86_FEATURE_PSFD)", "5.15.16", "5.17.0-rc5")+"; "+qemuAt("amd-psfd", "7.2.0", "8.1.0"),
		"amd-psfd"),

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
	{ID: "tsc-deadline", Kind: KindEmulated, Features: []string{"tsc-deadline"}, MinLinux: oldestLinux, MinQEMU: oldestQEMU,
		Reason: "KVM emulates the TSC-deadline timer whatever the host has; QEMU enables it with KVM_CAP_TSC_DEADLINE_TIMER and the in-kernel irqchip; every release read has it, and 3 reference stacks older than the oldest sources read did not add it",
		Source: readAt("QEMU target/i386/kvm.c kvm_arch_get_supported_cpuid: kvm_check_extension(KVM_CAP_TSC_DEADLINE_TIMER) -> CPUID_EXT_TSC_DEADLINE_TIMER", "", "4.1.0") + "; " + srcRig + "; " + srcRefData},
	{ID: "tsc-adjust", Kind: KindEmulated, Features: []string{"tsc_adjust"}, MinLinux: oldestLinux, MinQEMU: oldestQEMU,
		Reason: "KVM emulates IA32_TSC_ADJUST whatever the host has (\"TSC_ADJUST is emulated\"); every release read has it, and one reference stack older than the oldest sources read (Xeon E5-2650 v3) did not give it",
		Source: kvmAt("entry->ebx |= F(TSC_ADJUST) / kvm_cpu_cap_set(X86_FEATURE_TSC_ADJUST)", "", "4.19.0") + "; " + srcRig + "; " + srcRefData},
	{ID: "arat", Kind: KindEmulated, Features: []string{"arat"}, MinQEMU: oldestQEMU,
		Reason: "the APIC timer is always running for a guest: KVM reports leaf 6 EAX = ARAT only and QEMU adds it (\"safe to allow because of emulated APIC\"); every QEMU read has it, and 7 reference stacks older than the oldest sources read did not give it",
		Source: readAt("QEMU target/i386/kvm.c kvm_arch_get_supported_cpuid: ret |= CPUID_6_EAX_ARAT", "", "4.1.0") + "; " + srcRig + "; " + srcRefData},
	{ID: "arch-capabilities-host", Kind: KindPassthrough, Vendors: intel, Features: []string{"arch-capabilities"}, MinLinux: oldestLinux, MinQEMU: oldestQEMU,
		Reason: "IA32_ARCH_CAPABILITIES passes through on Intel hosts that have it (F(ARCH_CAPABILITIES)); QEMU keeps the bit when KVM lists the MSR",
		Source: kvmAt("F(ARCH_CAPABILITIES)", "", "4.19.0") + "; " + srcQEMU + " (if (!has_msr_arch_capabs) ret &= ~CPUID_7_0_EDX_ARCH_CAPABILITIES)"},
	{ID: "arch-capabilities", Kind: KindEmulated, Features: []string{"arch-capabilities"}, MinLinux: "5.2", MinQEMU: oldestQEMU,
		Reason: "KVM emulates IA32_ARCH_CAPABILITIES on every host since it lists the MSR among its emulated MSRs (Linux 5.2; 5.1 not read); before, the MSR was listed only where the host has it and QEMU dropped the bit elsewhere (\"Linux v4.17-v4.20 incorrectly return ARCH_CAPABILITIES on SVM hosts\")",
		Source: readAt("Linux arch/x86/kvm/x86.c emulated_msrs[] MSR_IA32_ARCH_CAPABILITIES", "5.0.1", "5.2.1") + "; " + srcQEMU + "; " + srcRefData},

	// --- Passthrough that needed a newer KVM or QEMU: each gate is the first
	// release read whose KVM mask lists the bit and whose QEMU names it.
	gated("xsaveopt", nil, oldestLinux, oldestQEMU, "XSAVEOPT passes through (F(XSAVEOPT) in the 0xD.1 mask); every release read has it, and one reference stack older than the oldest sources read (Xeon E5-2650 v3) did not give it",
		kvmAt("F(XSAVEOPT)", "", "4.19.0")+"; "+qemuAt("xsaveopt", "", "4.1.0")+"; "+srcRefData, "xsaveopt"),
	gated("sha-ni", nil, oldestLinux, oldestQEMU, "SHA-NI passes through (F(SHA_NI)); every release read has it, and the Ryzen 7 1800X reference stack, older than the oldest sources read, did not give it",
		kvmAt("F(SHA_NI)", "", "4.19.0")+"; "+qemuAt("sha-ni", "", "4.1.0")+"; "+srcRefData, "sha-ni"),
	{ID: "rdtscp-amd", Kind: KindPassthrough, Vendors: amd, Features: []string{"rdtscp"}, MinLinux: oldestLinux, MinQEMU: oldestQEMU,
		Reason: "RDTSCP passes through on AMD hosts that have it (f_rdtscp; svm_rdtscp_supported() returns boot_cpu_has(X86_FEATURE_RDTSCP)); every release read has it, and 5 AMD reference stacks older than the oldest sources read did not give it",
		Source: kvmAt("f_rdtscp (svm_rdtscp_supported)", "", "4.19.0") + "; " + qemuAt("rdtscp", "", "4.1.0") + "; " + srcRefData},
	{ID: "rdtscp-vmx", Kind: KindPassthrough, Vendors: intel, Features: []string{"rdtscp"},
		Reason: "RDTSCP passes through on VMX hosts with the enable-RDTSCP control (vmx_set_cpu_caps), which every VMX CPU with RDTSCP has",
		Source: srcVMX},
	gated("amd-clzero", amd, "5.6", "5.0", "CLZERO and XSAVEERPTR pass through (F(CLZERO), F(XSAVEERPTR)); 5.3.1 does not list them, 5.4.286 (a late stable release) and 5.6.4 do: 5.4.0/5.5 not read, 5.6 assumed; QEMU names them since 5.0",
		kvmAt("F(CLZERO) | F(XSAVEERPTR)", "5.3.1", "5.6.4")+" (and @v5.4.286); "+qemuAt("clzero", "4.1.0", "5.0.0"), "clzero", "xsaveerptr"),
	gated("amd-wbnoinvd", amd, "5.0", oldestQEMU, "WBNOINVD passes through since Linux 5.0 (F(WBNOINVD))",
		kvmAt("F(WBNOINVD)", "4.20.0", "5.0.1")+"; "+qemuAt("wbnoinvd", "", "4.1.0"), "wbnoinvd"),
	gated("md-clear", nil, "5.2", oldestQEMU, "MD_CLEAR passes through since Linux 5.2 (F(MD_CLEAR); 5.1 not read, 5.2 assumed; stable series got it later, which only loses recall)",
		kvmAt("F(MD_CLEAR)", "5.0.1", "5.2.1")+"; "+qemuAt("md-clear", "", "4.1.0"), "md-clear"),
	gated("rdpid-cldemote", nil, oldestLinux, oldestQEMU, "RDPID and CLDEMOTE pass through (F(RDPID), F(CLDEMOTE)); every release read has them, and one Intel reference stack older than the oldest sources read did not give rdpid",
		kvmAt("F(RDPID) | F(CLDEMOTE)", "", "4.19.0")+"; "+qemuAt("rdpid", "", "4.1.0")+"; "+srcRefData, "rdpid", "cldemote"),
	gated("movdiri", nil, "5.2", oldestQEMU, "MOVDIRI and MOVDIR64B pass through since Linux 5.2 (5.1 not read, 5.2 assumed)",
		kvmAt("F(MOVDIRI) | F(MOVDIR64B)", "5.0.1", "5.2.1")+"; "+qemuAt("movdiri", "", "4.1.0"), "movdiri", "movdir64b"),
	gated("avx512-bf16", nil, "5.3", "5.0", "AVX512_BF16 (7.1 EAX) passes through since Linux 5.3; QEMU names it since 5.0",
		kvmAt("F(AVX512_BF16)", "5.2.1", "5.3.1")+"; "+qemuAt("avx512-bf16", "4.1.0", "5.0.0"), "avx512-bf16"),
	{ID: "waitpkg", Kind: KindPassthrough, Vendors: intel, Features: []string{"waitpkg"}, MinLinux: "5.7", MinQEMU: "5.0",
		Reason: "WAITPKG passes through on VMX hosts with the user-wait-and-pause control since Linux 5.7 (vmx_set_cpu_caps: if (vmx_waitpkg_supported()) kvm_cpu_cap_check_and_set(X86_FEATURE_WAITPKG); 5.6.4 lists it as 0 /*WAITPKG*/); QEMU names it since 5.0",
		Source: vmxAt("kvm_cpu_cap_check_and_set(X86_FEATURE_WAITPKG)", "5.6.4", "5.7.14") + "; " + qemuAt("waitpkg", "4.1.0", "5.0.0")},
	gated("fsrm", nil, "5.7", "5.2", "fast short REP MOV and AVX512_VP2INTERSECT pass through since Linux 5.7; QEMU names them since 5.2 (5.1 not read, 5.2 assumed)",
		kvmAt("F(FSRM) | F(AVX512_VP2INTERSECT)", "5.6.4", "5.7.14")+"; "+qemuAt("fsrm", "5.0.0", "5.2.0"), "fsrm", "avx512-vp2intersect"),
	gated("serialize", nil, "5.9", "5.2", "SERIALIZE passes through since Linux 5.9; QEMU names it since 5.2 (5.1 not read)",
		kvmAt("F(SERIALIZE)", "5.8.1", "5.9.1")+"; "+qemuAt("serialize", "5.0.0", "5.2.0"), "serialize"),
	gated("tsx-ldtrk", intel, "5.10", "5.2", "TSXLDTRK passes through since Linux 5.10; QEMU names it since 5.2 (5.1 not read)",
		kvmAt("F(TSXLDTRK)", "5.9.1", "5.10.89")+"; "+qemuAt("tsx-ldtrk", "5.0.0", "5.2.0"), "tsx-ldtrk"),
	gated("avx512-fp16", nil, "5.11", "6.2", "AVX512_FP16 passes through since Linux 5.11; QEMU names it since 6.2 (6.0/6.1 not read, 6.2 assumed)",
		kvmAt("F(AVX512_FP16)", "5.10.89", "5.11.14")+"; "+qemuAt("avx512-fp16", "5.2.0", "6.2.0"), "avx512-fp16"),
	gated("avx-vnni", nil, "5.12", "6.2", "AVX_VNNI (7.1 EAX) passes through since Linux 5.12; QEMU names it since 6.2 (6.0/6.1 not read)",
		kvmAt("F(AVX_VNNI)", "5.11.14", "5.12.9")+"; "+qemuAt("avx-vnni", "5.2.0", "6.2.0"), "avx-vnni"),
	gated("bus-lock-detect", intel, "5.14", "6.2", "bus-lock debug exceptions pass through since Linux 5.14 (5.13 not read, 5.14 assumed); QEMU names it since 6.2 (6.0/6.1 not read)",
		kvmAt("F(BUS_LOCK_DETECT)", "5.12.9", "5.14.0-rc5")+"; "+qemuAt("bus-lock-detect", "5.2.0", "6.2.0"), "bus-lock-detect"),
	gated("amx", intel, "5.17", "7.2", "AMX (tiles, INT8, BF16) and XFD pass through since Linux 5.17 (5.16 not read); QEMU names them since 7.2 (7.0/7.1 not read, 7.2 assumed)",
		kvmAt("F(AMX_TILE) | F(AMX_INT8) | F(AMX_BF16), F(XFD)", "5.15.16", "5.17.0-rc5")+"; "+qemuAt("amx-tile", "6.2.0", "7.2.0"), "amx-tile", "amx-int8", "amx-bf16", "xfd"),
	gated("deprecated-x87", intel, "5.17", "9.2", "FDP_EXCPTN_ONLY and ZERO_FCS_FDS (x87 deprecations) pass through since Linux 5.17 (5.16 not read; 5.15.100 has them through the stable series); QEMU names them only since 9.2 (8.2-9.1 not read): disabled on 28 reference hosts, all older stacks",
		kvmAt("F(FDP_EXCPTN_ONLY) | F(ZERO_FCS_FDS)", "5.15.16", "5.17.0-rc5")+"; "+qemuAt("zero-fcs-fds", "8.1.0", "9.2.4")+"; "+srcRefData, "fdp-excptn-only", "zero-fcs-fds"),
	gated("cmpccxadd", intel, "6.2", "8.1", "CMPCCXADD, AMX_FP16 and AVX_IFMA pass through since Linux 6.2; QEMU names them since 8.1 (8.0 not read)",
		kvmAt("F(CMPCCXADD) | F(AMX_FP16) | F(AVX_IFMA)", "6.1.20", "6.2.12")+"; "+qemuAt("cmpccxadd", "7.2.0", "8.1.0"), "cmpccxadd", "amx-fp16", "avx-ifma"),
	gated("fzrm", intel, "6.3", "8.1", "fast zero-length MOVSB, fast short STOSB and fast short CMPSB pass through since Linux 6.3; QEMU names them since 8.1 (8.0 not read)",
		kvmAt("F(FZRM) | F(FSRS) | F(FSRC)", "6.2.12", "6.3.8")+"; "+qemuAt("fzrm", "7.2.0", "8.1.0"), "fzrm", "fsrs", "fsrc"),
	gated("flush-l1d", intel, "6.4", "8.1", "FLUSH_L1D passes through since Linux 6.4 (KVM virtualizes MSR_IA32_FLUSH_CMD); QEMU names it since 8.1 (8.0 not read): disabled on 12 reference hosts, all older stacks",
		kvmAt("F(FLUSH_L1D)", "6.3.8", "6.4.4")+"; "+qemuAt("flush-l1d", "7.2.0", "8.1.0")+"; "+srcRefData, "flush-l1d"),
	gated("spec-ctrl-7-2", intel, "6.8", "9.2", "RRSBA_CTRL and BHI_CTRL (7.2 EDX) pass through since Linux 6.8 (6.5.0 does not list them, 6.6.47 does through the stable series; 6.6.0/6.7 not read, 6.8 assumed); QEMU names them since 9.2 (8.2-9.1 not read)",
		kvmAt("F(RRSBA_CTRL) | F(BHI_CTRL)", "6.5.0", "6.8.0")+"; "+qemuAt("bhi-ctrl", "8.1.0", "9.2.4"), "rrsba-ctrl", "bhi-ctrl"),
	gated("lam", intel, "6.8", "9.2", "linear address masking passes through since Linux 6.8 (6.7 not read); QEMU names it since 9.2 (8.2-9.1 not read)",
		kvmAt("F(LAM)", "6.6.47", "6.8.0")+"; "+qemuAt("lam", "8.1.0", "9.2.4"), "lam"),
	gated("wrmsrns", intel, "6.16", "9.2", "WRMSRNS passes through since Linux 6.16 (6.15 not read, 6.16 assumed); QEMU names it since 9.2 (8.2-9.1 not read)",
		kvmAt("F(WRMSRNS)", "6.14.0", "6.16.1")+"; "+qemuAt("wrmsrns", "8.1.0", "9.2.4"), "wrmsrns"),
	gated("amd-8000-0021", amd, "6.3", "8.1", "AMD 0x80000021 EAX bits (no nested data breakpoints, LFENCE always serializing, null selector clears base, automatic IBRS) are listed since Linux 6.3; QEMU names them since 8.1 (8.0 not read)",
		kvmAt("F(NO_NESTED_DATA_BP) | F(LFENCE_RDTSC) | F(NULL_SEL_CLR_BASE) | F(AUTOIBRS)", "6.2.12", "6.3.8")+"; "+qemuAt("auto-ibrs", "7.2.0", "8.1.0"),
		"no-nested-data-bp", "lfence-always-serializing", "null-sel-clr-base", "auto-ibrs"),
	gated("amd-srso-no", amd, "6.5", "9.2", "SRSO_NO is given since Linux 6.5; QEMU names it since 9.2 (8.2-9.1 not read)",
		kvmAt("kvm_cpu_cap_set(X86_FEATURE_SRSO_NO)", "6.4.4", "6.5.0")+"; "+qemuAt("srso-no", "8.1.0", "9.2.4"), "srso-no"),
	gated("amd-sbpb", amd, "6.8", "9.2", "SBPB and IBPB_BRTYPE are given since Linux 6.8 (6.7 not read); QEMU names them since 9.2 (8.2-9.1 not read)",
		kvmAt("F(SBPB) | F(IBPB_BRTYPE)", "6.6.47", "6.8.0")+"; "+qemuAt("sbpb", "8.1.0", "9.2.4"), "sbpb", "ibpb-brtype"),
	gated("amd-srso-user-kernel-no", amd, "6.14", "9.2", "SRSO_USER_KERNEL_NO is given since Linux 6.14; QEMU names it since 9.2 (8.2-9.1 not read)",
		kvmAt("F(SRSO_USER_KERNEL_NO)", "6.13.7", "6.14.0")+"; "+qemuAt("srso-user-kernel-no", "8.1.0", "9.2.4"), "srso-user-kernel-no"),
	{ID: "succor", Kind: KindEmulated, Vendors: amd, Features: []string{"succor", "overflow-recov"}, MinQEMU: "9.2",
		Reason: "QEMU adds MCA overflow recovery and SUCCOR to 0x80000007 EBX itself since 9.2 (8.1 does not; 8.2-9.1 not read, 9.2 assumed): disabled on all 5 AMD reference hosts that have them, all older stacks",
		Source: readAt("QEMU target/i386/kvm/kvm.c kvm_arch_get_supported_cpuid: ret |= CPUID_8000_0007_EBX_OVERFLOW_RECOV | CPUID_8000_0007_EBX_SUCCOR", "8.1.0", "9.2.4") + "; " + srcRefData},

	// --- The long-standing passthrough set: listed in KVM's masks and named
	// by QEMU in every release read (Linux 4.19.0 and QEMU 4.1.0 the
	// oldest), and given on every reference stack whose host had it.
	passthrough("cpuid-1", "passes through: listed in KVM's CPUID.1 ECX/EDX masks (F()), given on every reference stack", kvmAt("CPUID.1 masks", "", "4.19.0"),
		"pni", "pclmuldq", "ssse3", "fma", "cx16", "pcid", "sse4.1", "sse4.2", "movbe", "popcnt", "aes", "xsave", "avx", "f16c", "rdrand",
		"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2", "ss"),
	passthrough("cpuid-7", "passes through: listed in KVM's CPUID.7 masks (F()), given on every reference stack", kvmAt("CPUID.7 masks", "", "4.19.0"),
		"fsgsbase", "bmi1", "avx2", "smep", "bmi2", "erms", "invpcid", "rdseed", "adx", "smap", "avx512ifma", "clflushopt", "clwb",
		"avx512pf", "avx512er", "avx512cd", "avx512f", "avx512dq", "avx512bw", "avx512vl",
		"avx512vbmi", "la57", "avx512-vpopcntdq", "avx512vbmi2", "gfni", "vaes", "vpclmulqdq", "avx512vnni", "avx512bitalg",
		"avx512-4vnniw", "avx512-4fmaps", "umip"),
	{ID: "mpx", Kind: KindPassthrough, Vendors: intel, Features: []string{"mpx"},
		Reason: "MPX passes through on VMX hosts with the BNDCFGS entry/exit controls (vmx_set_cpu_caps: if (kvm_mpx_supported()) kvm_cpu_cap_check_and_set(X86_FEATURE_MPX)); kvm_amd never gives it",
		Source: srcVMX},
	passthrough("cpuid-d1", "passes through: listed in KVM's CPUID.0xD.1 mask (F(XSAVEC), F(XGETBV1))", kvmAt("F(XSAVEC) | F(XGETBV1)", "", "4.19.0"), "xsavec", "xgetbv1"),
	passthrough("cpuid-ext", "passes through: listed in KVM's 0x80000001 masks (F()), given on every reference stack", kvmAt("0x80000001 masks", "", "4.19.0"),
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
	notVirtualized("topoext", "QEMU reports TOPOEXT as supported, but a guest gets it only with a topology it can describe; every reference AMD host that has it had it disabled, and the rig's QEMU 7.2 gives no topoext", srcQEMU+"; "+srcRefData+"; "+srcRig, "topoext"),
	{ID: "msr-features", Kind: KindMSR, Features: []string{"ibrs-all", "rdctl-no", "skip-l1dfl-vmentry", "ssb-no", "mds-no", "pschange-mc-no", "tsx-ctrl", "taa-no", "fb-clear", "sbdr-ssdp-no", "fbsdp-no", "psdp-no", "pbrsb-no", "rfds-no", "rfds-clear", "gds-no", "bhi-no", "its-no"},
		Reason: "an IA32_ARCH_CAPABILITIES bit: /proc/cpuinfo does not show the MSR, and KVM computes the guest's value from the host's bugs and mitigations (kvm_get_arch_capabilities), so a capture cannot predict it",
		Source: "Linux arch/x86/kvm/x86.c kvm_get_arch_capabilities"},
	notVirtualized("not-in-masks", "not in any of KVM's supported-CPUID masks (architectural LBRs, PKS, CET, the core-capabilities MSR), so KVM never gives it", srcCaps,
		"arch-lbr", "pks", "core-capability", "cet-ss", "cet-ibt", "pconfig", "split-lock-detect"),
}
