package gentable

// rule is a hand-written classification of one Linux flag. It overrides the
// data-driven default (1:1 join, linux_only.txt section, hidden row). Every
// rule names its evidence in Detail.
type rule struct {
	Reason string // Go identifier of a featnames.Reason constant
	Detail string
	// Libvirt optionally names the libvirt feature the flag corresponds to
	// even though it has no 1:1 CPUID join (renamed flags of older kernels).
	Libvirt string
}

const (
	kvmMask   = "KVM's supported-CPUID mask leaves it clear (arch/x86/kvm/cpuid.c), and QEMU/KVM enabled it for none of the 51 libvirt 11.3.0 cputestdata hosts (-enabled.xml)"
	rdtLib    = "Intel RDT / AMD PQoS resource control, which KVM does not virtualize"
	powerMgmt = "power/thermal management of the physical package, which QEMU/KVM do not model"
)

// hostOnly lists CPUID bits with a libvirt name that KVM never gives a guest.
var hostOnly = map[string]string{
	"pn":            "CPUID.01H:EDX[18] processor serial number; " + kvmMask + ".",
	"dts":           "CPUID.01H:EDX[21] Debug Store (libvirt ds); " + kvmMask + ".",
	"acpi":          "CPUID.01H:EDX[22] thermal monitor/clock control MSRs; " + kvmMask + ".",
	"ht":            "CPUID.01H:EDX[28] HTT; KVM does not report it, QEMU sets it from the guest's own topology, so it is not a feature to request.",
	"tm":            "CPUID.01H:EDX[29] thermal monitor; " + kvmMask + ".",
	"ia64":          "CPUID.01H:EDX[30] (IA-64 emulating x86); reserved in KVM's mask, never given to a guest.",
	"pbe":           "CPUID.01H:EDX[31] pending break enable; " + kvmMask + ".",
	"dtes64":        "CPUID.01H:ECX[2] 64-bit Debug Store; " + kvmMask + ".",
	"monitor":       "CPUID.01H:ECX[3] MONITOR/MWAIT; KVM does not advertise it (only QEMU -overcommit cpu-pm=on passes it through), and a guest using it cannot move to a host without it (\"Unknown CPU feature monitor\"); QEMU/KVM enabled it for none of the 51 libvirt cputestdata hosts.",
	"ds_cpl":        "CPUID.01H:ECX[4] CPL-qualified Debug Store; " + kvmMask + ".",
	"smx":           "CPUID.01H:ECX[6] Safer Mode (TXT); " + kvmMask + ".",
	"est":           "CPUID.01H:ECX[7] Enhanced SpeedStep; " + kvmMask + ".",
	"tm2":           "CPUID.01H:ECX[8] Thermal Monitor 2; " + kvmMask + ".",
	"cid":           "CPUID.01H:ECX[10] L1 context ID (CNXT-ID); KVM's supported-CPUID mask leaves it clear (arch/x86/kvm/cpuid.c).",
	"xtpr":          "CPUID.01H:ECX[14] xTPR update control; " + kvmMask + ".",
	"dca":           "CPUID.01H:ECX[18] Direct Cache Access; " + kvmMask + ".",
	"cqm":           "CPUID.(7,0):EBX[12] RDT monitoring (libvirt cmt); libvirt itself drops cmt from host-model (virQEMUCapsCPUFilterFeatures) because KVM does not virtualize it.",
	"cqm_mbm_total": "CPUID.(0xF,1):EDX[1] (libvirt mbm_total); libvirt itself drops mbm_total from host-model (virQEMUCapsCPUFilterFeatures) because KVM does not virtualize RDT monitoring.",
	"cqm_mbm_local": "CPUID.(0xF,1):EDX[2] (libvirt mbm_local); libvirt itself drops mbm_local from host-model (virQEMUCapsCPUFilterFeatures) because KVM does not virtualize RDT monitoring.",
}

// rules classifies the Linux flags that are not a plain 1:1 join (or whose
// join must not be used for a guest).
var rules = map[string]rule{
	// OS / hypervisor state.
	"hypervisor":  {Reason: "ReasonOSState", Detail: "CPUID.01H:ECX[31] is set by the hypervisor for its guests (QEMU always sets it); it says the host itself is a VM, not what the CPU can do."},
	"ospke":       {Reason: "ReasonOSState", Detail: "CPUID.(7,0):ECX[4] mirrors CR4.PKE set by the running kernel; QEMU marks it dynamic. Request pku instead."},
	"osxsave":     {Reason: "ReasonOSState", Detail: "CPUID.01H:ECX[27] mirrors CR4.OSXSAVE set by the running kernel; QEMU marks it dynamic. Request xsave instead."},
	"tdx_guest":   {Reason: "ReasonOSState", Detail: "Linux-defined: this kernel runs as an Intel TDX guest; state of the VM, not a CPU feature."},
	"svsm":        {Reason: "ReasonOSState", Detail: "CPUID 0x8000001F EAX[28]: an SEV-SNP guest sees an SVSM; state of the VM, and libvirt has no feature for it."},
	"user_shstk":  {Reason: "ReasonOSState", Detail: "Linux-defined: the kernel enables user-mode shadow stacks; libvirt 11.3.0 has no CET feature to request."},
	"xenpv":       {Reason: "ReasonOSState", Detail: "Linux-defined: running as a Xen PV guest."},
	"up":          {Reason: "ReasonOSState", Detail: "Linux-defined: SMP kernel running on a single CPU."},
	"cpuid_fault": {Reason: "ReasonSynthetic", Detail: "Linux-defined (word 7 bit 1) from MSR_PLATFORM_INFO, no CPUID bit; libvirt has no feature for it."},

	// Kernel-derived speculation-control flags (word 7): handled in Translate.
	"ibrs":              {Reason: "ReasonKernelDerived", Detail: "Linux-defined (word 7 bit 25): set from Intel SPEC_CTRL CPUID.(7,0):EDX[26] (libvirt spec-ctrl) or AMD 0x80000008 EBX[14] (libvirt ibrs)."},
	"ibpb":              {Reason: "ReasonKernelDerived", Detail: "Linux-defined (word 7 bit 26): set from Intel SPEC_CTRL CPUID.(7,0):EDX[26] (libvirt spec-ctrl) or AMD 0x80000008 EBX[12] (libvirt ibpb)."},
	"stibp":             {Reason: "ReasonKernelDerived", Detail: "Linux-defined (word 7 bit 27): set from Intel CPUID.(7,0):EDX[27] (libvirt stibp) or AMD 0x80000008 EBX[15] (libvirt amd-stibp)."},
	"ssbd":              {Reason: "ReasonKernelDerived", Detail: "Linux-defined (word 7 bit 17): set from Intel CPUID.(7,0):EDX[31] (libvirt ssbd), AMD 0x80000008 EBX[24] (amd-ssbd) or EBX[25] (virt-ssbd), or the AMD family 15h-17h LS_CFG MSR."},
	"ibrs_enhanced":     {Reason: "ReasonKernelDerived", Detail: "Linux-defined (word 7 bit 30): set from IA32_ARCH_CAPABILITIES bit 1 IBRS_ALL on Intel (libvirt ibrs-all, MSR 0x10a) or AMD Automatic IBRS 0x80000021 EAX[8] (libvirt auto-ibrs)."},
	"split_lock_detect": {Reason: "ReasonKernelDerived", Detail: "Linux-defined (word 11 bit 6): set from IA32_CORE_CAPABILITIES bit 5 (libvirt split-lock-detect, MSR 0xcf) or from a list of CPU models without that MSR, so it does not prove the MSR bit; not derived."},

	// Not migratable.
	"nonstop_tsc": {Reason: "ReasonNotMigratable", Detail: "Linux-defined (word 3 bit 24), set from invariant TSC CPUID 0x80000007 EDX[8] = libvirt invtsc, which libvirt marks migratable='no' (QEMU blocks migration with invtsc unless the TSC frequency is pinned)."},

	// Virtualization capabilities of the host (VMX MSRs, SVM leaf).
	"tpr_shadow":   {Reason: "ReasonVirtCapability", Detail: "Linux-defined from the VMX capability MSRs (TPR shadow); nested-VMX controls are vmx-* features, not CPU flags to request."},
	"flexpriority": {Reason: "ReasonVirtCapability", Detail: "Linux-defined from the VMX capability MSRs (virtualize APIC accesses + TPR shadow); see vmx-* features."},
	"ept":          {Reason: "ReasonVirtCapability", Detail: "Linux-defined from the VMX capability MSRs (Extended Page Tables); see vmx-ept features."},
	"vpid":         {Reason: "ReasonVirtCapability", Detail: "Linux-defined from the VMX capability MSRs (VPID); see vmx-vpid."},
	"ept_ad":       {Reason: "ReasonVirtCapability", Detail: "Linux-defined from the VMX capability MSRs (EPT accessed/dirty bits); see vmx-eptad."},
	"vmmcall":      {Reason: "ReasonVirtCapability", Detail: "Linux-defined: prefer VMMCALL to VMCALL for hypercalls (AMD); a kernel choice, no CPUID bit."},
	"x2avic":       {Reason: "ReasonVirtCapability", Detail: "CPUID 0x8000000A EDX[18] host SVM x2AVIC capability; libvirt has no feature and KVM does not pass it to guests."},
	"v_spec_ctrl":  {Reason: "ReasonVirtCapability", Detail: "CPUID 0x8000000A EDX[20] host SVM virtual SPEC_CTRL capability; libvirt has no feature and KVM does not pass it to guests."},

	// Mitigation state chosen by the running kernel.
	"pti":               {Reason: "ReasonMitigation", Detail: "Linux-defined (word 7 bit 11): kernel page-table isolation is enabled; mitigation state of the running kernel."},
	"retpoline":         {Reason: "ReasonMitigation", Detail: "Linux-defined, shown by older kernels: retpoline Spectre v2 mitigation is in use; mitigation state of the running kernel."},
	"retpoline_amd":     {Reason: "ReasonMitigation", Detail: "Linux-defined, shown by older kernels: LFENCE-based (AMD) retpoline in use; mitigation state of the running kernel."},
	"ibpb_exit_to_user": {Reason: "ReasonMitigation", Detail: "Linux-defined (word 21 bit 14), shown by newer kernels: IBPB on exit to user space (VMSCAPE); mitigation state of the running kernel."},
	"invpcid_single":    {Reason: "ReasonMitigation", Detail: "Linux-defined, shown by older kernels: PTI uses INVPCID for single-context flushes; kernel state (the CPU bit is invpcid)."},
	"eagerfpu":          {Reason: "ReasonSynthetic", Detail: "Linux-defined, shown by kernels before 4.6: the kernel uses eager FPU switching; no CPUID bit."},

	// Renamed CPUID bits of older kernels.
	"spec_ctrl":    {Reason: "", Libvirt: "spec-ctrl", Detail: "older kernels show X86_FEATURE_SPEC_CTRL CPUID.(7,0):EDX[26] as spec_ctrl (hidden since 4.19)."},
	"intel_stibp":  {Reason: "", Libvirt: "stibp", Detail: "older kernels show X86_FEATURE_INTEL_STIBP CPUID.(7,0):EDX[27] as intel_stibp."},
	"ibp_disable":  {Reason: "", Libvirt: "amd-stibp", Detail: "kernel 4.15 showed 0x80000008 EBX[15] as ibp_disable, later renamed X86_FEATURE_AMD_STIBP."},
	"perfctr_l2":   {Reason: "ReasonNoLibvirtFeature", Detail: "older name of perfctr_llc, CPUID 0x80000001 ECX[28] (renamed in Linux 4.x); libvirt and QEMU define no feature for it."},
	"amd_ibpb_ret": {Reason: "ReasonNoLibvirtFeature", Detail: "CPUID 0x80000008 EBX[30] IBPB also clears the return predictor (X86_FEATURE_AMD_IBPB_RET, shown by newer kernels); libvirt 11.3.0 and QEMU 10.0 define no feature for it."},
}

// hostOnlyNoLibvirt gives CPUID-backed Linux flags without a libvirt name a
// more precise reason than "no libvirt feature".
var hostOnlyNoLibvirt = map[string]string{
	"dtherm": powerMgmt, "ida": powerMgmt, "pln": powerMgmt, "pts": powerMgmt,
	"hwp": powerMgmt, "hwp_notify": powerMgmt, "hwp_act_window": powerMgmt, "hwp_epp": powerMgmt,
	"hwp_pkg_req": powerMgmt, "hfi": powerMgmt, "epb": powerMgmt, "aperfmperf": powerMgmt,
	"cpb": powerMgmt, "hw_pstate": powerMgmt, "proc_feedback": powerMgmt, "cppc": powerMgmt,
	"cat_l3": rdtLib, "cat_l2": rdtLib, "cdp_l3": rdtLib, "cdp_l2": rdtLib, "mba": rdtLib,
	"rdt_a": rdtLib, "cqm_llc": rdtLib, "cqm_occup_llc": rdtLib,
	"intel_ppin":        "protected processor inventory number of the physical package",
	"amd_ppin":          "protected processor inventory number of the physical package",
	"sme":               "host memory encryption (SME); guests get SEV through <launchSecurity>, not a CPU feature",
	"sev":               "host capability to run SEV guests, configured through <launchSecurity>, not a CPU feature",
	"sev_es":            "host capability to run SEV-ES guests, configured through <launchSecurity>, not a CPU feature",
	"sev_snp":           "host capability to run SEV-SNP guests, configured through <launchSecurity>, not a CPU feature",
	"debug_swap":        "SEV-ES host capability, configured through <launchSecurity>, not a CPU feature",
	"tme":               "platform total memory encryption, configured by firmware",
	"smca":              "scalable machine-check architecture of the host; KVM does not pass it to guests",
	"tdx_host_platform": "the platform can host TDX guests",
	"mp":                "legacy AMD multiprocessor-capable bit",
}

// detailFor returns the no-libvirt-feature sentence for a CPUID-backed flag.
func noLibvirtDetail(cpuid, qemuName string) string {
	s := "CPUID " + cpuid + ": libvirt defines no feature for this bit, so it cannot be requested in a guest CPU definition"
	if qemuName != "" {
		s += " (QEMU calls it " + qemuName + ")"
	}
	return s + "."
}
