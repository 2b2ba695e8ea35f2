package guestview

// readAt cites one version gate: what was looked for, the last release read
// without it ("" when every release read has it) and the first with it.
func readAt(what, absent, present string) string {
	if absent == "" {
		return what + ": present @v" + present + " (oldest read)"
	}
	return what + ": absent @v" + absent + ", present @v" + present
}

// kvmAt and qemuAt cite a feature's Linux and QEMU gates together.
func kvmAt(macro, absent, present string) string {
	return readAt(kvmCPUID+" "+macro, absent, present)
}

func svmAt(what, absent, present string) string {
	return readAt("Linux arch/x86/kvm/svm/svm.c svm_set_cpu_caps "+what, absent, present)
}

func vmxAt(what, absent, present string) string {
	return readAt("Linux arch/x86/kvm/vmx/vmx.c vmx_set_cpu_caps "+what, absent, present)
}

func qemuAt(name, absent, present string) string {
	return readAt(qemuName+" \""+name+"\"", absent, present)
}

// gated builds a passthrough rule for features whose KVM mask entry and
// QEMU name arrived in the given releases.
func gated(id string, vendors []string, minLinux, minQEMU, reason, source string, features ...string) Rule {
	return Rule{ID: id, Kind: KindPassthrough, Vendors: vendors, Features: features,
		MinLinux: minLinux, MinQEMU: minQEMU, Reason: reason, Source: source}
}

// passthrough builds a rule for features KVM passes through from the host.
func passthrough(id, reason, source string, features ...string) Rule {
	return Rule{ID: id, Kind: KindPassthrough, Features: features, Reason: reason, Source: source}
}

func notVirtualized(id, reason, source string, features ...string) Rule {
	return Rule{ID: id, Kind: KindNotVirtualized, Features: features, Reason: reason, Source: source}
}
