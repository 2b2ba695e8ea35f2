package guestview

import "strings"

// Where a stack version came from (StackBasis).
const (
	// OriginGiven: the operator's statement (Options.Stack).
	OriginGiven = "given"
	// OriginMeasured: read on the live host (Options.Measured).
	OriginMeasured = "measured"
	// OriginInferred: a bound the capture's own flag names prove
	// (KernelFromFlags).
	OriginInferred = "inferred"
	// OriginDefault: DefaultStack, nothing else being known.
	OriginDefault = "default"
	// OriginUnknown: not known; no rule that needs the version applies.
	OriginUnknown = "unknown"
)

// StackBasis says which stack a prediction assumed and why.
type StackBasis struct {
	Linux  string `json:"linux"`
	QEMU   string `json:"qemu"`
	Reason string `json:"reason"`
	// Kernel is what the capture's flag names prove about its kernel.
	Kernel *KernelEvidence `json:"kernel_evidence,omitempty"`
}

// ResolveStack returns the stack a prediction for a host with these
// /proc/cpuinfo flags assumes, and where each version came from. Each
// field: the operator's statement first (StackUnknown included), then the
// version measured on the live host, then, for Linux, what the capture's
// flag names prove (KernelFromFlags): a lower bound newer than the default
// replaces it, and a flag only kernels older than the default print
// replaces the default with the proven lower bound (or unknown). What is
// left takes DefaultStack.
func ResolveStack(flags []string, opts Options) (Stack, StackBasis) {
	var st Stack
	var b StackBasis
	var why []string
	ev := KernelFromFlags(flags)
	if ev != (KernelEvidence{}) {
		b.Kernel = &ev
	}
	describe := func() string {
		var parts []string
		if ev.AtLeast != "" {
			parts = append(parts, "the capture prints "+ev.AtLeastFlag+", a name Linux prints since "+ev.AtLeast)
		}
		if ev.Below != "" {
			parts = append(parts, "it prints "+ev.BelowFlag+", which Linux "+ev.Below+" and later no longer print")
		}
		return strings.Join(parts, "; ")
	}
	if v, origin, w, ok := stated("linux", opts.Stack.Linux, opts.Measured.Linux, "the running kernel's release"); ok {
		if origin == OriginGiven && (ev.AtLeast != "" && newer(ev.AtLeast, v) || ev.Below != "" && atLeast(v, ev.Below)) {
			w += " (the capture disagrees: " + describe() + ")"
		}
		st.Linux, b.Linux = v, origin
		why = append(why, w)
	} else {
		var w string
		st.Linux, b.Linux, w = inferLinux(ev, describe())
		why = append(why, w)
	}
	if v, origin, w, ok := stated("qemu", opts.Stack.QEMU, opts.Measured.QEMU, "the live host's QEMU"); ok {
		st.QEMU, b.QEMU = v, origin
		why = append(why, w)
	} else {
		st.QEMU, b.QEMU = DefaultStack.QEMU, OriginDefault
		why = append(why, "qemu "+DefaultStack.QEMU+": the default")
	}
	b.Reason = strings.Join(why, "; ")
	return st, b
}

// stated returns a stack component the operator stated (a version, or
// StackUnknown) or, failing that, the version measured on the live host;
// ok is false when neither says anything.
func stated(component, given, measured, measuredAs string) (v, origin, why string, ok bool) {
	switch g := strings.TrimSpace(given); {
	case g == StackUnknown:
		return StackUnknown, OriginUnknown, component + ": stated unknown", true
	case g != "":
		return g, OriginGiven, component + " " + g + ": given", true
	case ValidVersion(measured):
		m := strings.TrimSpace(measured)
		return m, OriginMeasured, component + " " + m + ": " + measuredAs, true
	}
	return "", "", "", false
}

// inferLinux is the kernel version a capture's flags prove (described by
// what), when nobody stated one and the host is not live.
func inferLinux(ev KernelEvidence, what string) (v, origin, why string) {
	def := DefaultStack.Linux
	switch {
	case ev.AtLeast != "" && ev.Below != "" && !newer(ev.Below, ev.AtLeast):
		return StackUnknown, OriginUnknown, "linux unknown: the flags mix names of different kernel releases (" + what + "), as a vendor kernel with backported names prints them; give the stack version"
	case ev.Below != "" && !newer(ev.Below, def) && ev.AtLeast != "":
		return ev.AtLeast, OriginInferred, "linux " + ev.AtLeast + ": inferred, older than the default " + def + " (" + what + ")"
	case ev.Below != "" && !newer(ev.Below, def):
		return StackUnknown, OriginUnknown, "linux unknown: older than the default " + def + " (" + what + ")"
	case ev.AtLeast != "" && newer(ev.AtLeast, def):
		return ev.AtLeast, OriginInferred, "linux " + ev.AtLeast + ": inferred (" + what + "), newer than the default " + def
	}
	why = "linux " + def + ": the default (the oldest kernel of the distributions OpenStack 2023.1 runs on)"
	if what != "" {
		why += "; " + what
	}
	return def, OriginDefault, why
}
