package hostfacts

import (
	"fmt"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/guestview"
)

// Guest-view choices for a host known only from its CPU flags.
const (
	GuestViewPredicted = "predicted"
	GuestViewCPUInfo   = "cpuinfo"
)

// NewPrediction checks the operator's prediction settings (module
// parameters or command-line flags) and returns the Prediction: view is
// predicted (default, "" too) or cpuinfo; stack versions are "" (the
// default assumption), "unknown", or a version such as "6.1" or "7.2.0".
func NewPrediction(view string, nested, pmu, pt bool, stackLinux, stackQEMU string) (Prediction, error) {
	var p Prediction
	switch strings.TrimSpace(view) {
	case "", GuestViewPredicted:
	case GuestViewCPUInfo:
		p.Raw = true
	default:
		return p, fmt.Errorf("guest view %q: use %q (what QEMU/KVM can give a guest, the default) or %q (the flags as captured)", view, GuestViewPredicted, GuestViewCPUInfo)
	}
	for _, v := range []struct{ name, val string }{{"linux", stackLinux}, {"qemu", stackQEMU}} {
		val := strings.TrimSpace(v.val)
		if val != "" && val != guestview.StackUnknown && !guestview.ValidVersion(val) {
			return p, fmt.Errorf("stack %s version %q: give a version such as \"6.1\" or \"7.2.0\", or %q; leave it empty to assume %s %s",
				v.name, v.val, guestview.StackUnknown, v.name, defaultFor(v.name))
		}
	}
	p.Guest = guestview.Options{Nested: nested, PMU: pmu, PT: pt,
		Stack: guestview.Stack{Linux: strings.TrimSpace(stackLinux), QEMU: strings.TrimSpace(stackQEMU)}}
	return p, nil
}

func defaultFor(component string) string {
	if component == "linux" {
		return guestview.DefaultStack.Linux
	}
	return guestview.DefaultStack.QEMU
}
