package main

import (
	"flag"
	"fmt"

	"github.com/kvm-migration/cpuflags/internal/guestview"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
)

// predictionFlags are the command-line statements about the hypervisors
// that the guest-view prediction of a captured host may use.
type predictionFlags struct {
	view, stackLinux, stackQEMU *string
	nested, pmu, pt             *bool
}

func addPredictionFlags(fs *flag.FlagSet) predictionFlags {
	return predictionFlags{
		view:       fs.String("guest-view", hostfacts.GuestViewPredicted, "for hosts known only from their flags: predicted (what QEMU/KVM can give a guest) or cpuinfo (the flags as captured)"),
		nested:     fs.Bool("nested", false, "the hypervisors run KVM with nested=1: vmx/svm and their nested-only sub-features are given"),
		pmu:        fs.Bool("pmu", false, "guests get a virtual PMU (libvirt <pmu state='on'/>): pdcm and the AMD performance counters are given"),
		pt:         fs.Bool("pt", false, "kvm_intel runs with pt_mode=1: intel-pt is given"),
		stackLinux: fs.String("stack-linux", "", "hypervisor kernel version (e.g. 6.1), or unknown; default: what the capture's flag names prove, else "+guestview.DefaultStack.Linux),
		stackQEMU:  fs.String("stack-qemu", "", "hypervisor QEMU version (e.g. 7.2), or unknown; default: "+guestview.DefaultStack.QEMU),
	}
}

func (p predictionFlags) prediction() (hostfacts.Prediction, error) {
	pred, err := hostfacts.NewPrediction(*p.view, *p.nested, *p.pmu, *p.pt, *p.stackLinux, *p.stackQEMU)
	if err != nil {
		return pred, fmt.Errorf("%w: %v", errUsage, err)
	}
	return pred, nil
}
