package clusterrun

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/novarelease"
)

// Nova before 2023.1 checks the configured CPU at start-up with libvirt's
// compareCPU, against the host CPU (what CPUID of the host shows), not
// against what the hypervisor can give a guest (compareHypervisorCPU, 2023.1
// and later; nova/virt/libvirt/driver.py _compare_cpu). A feature that KVM
// and QEMU emulate or synthesize for guests but the host CPU lacks
// (arch-capabilities and hypervisor on AMD, x2apic or tsc-deadline where
// the host has none) then stops nova-compute with InvalidCPUInfo: for such
// a target the baseline judges each host by its guest view limited to its
// host CPU's own features.

// limitToHostCPU returns h judged as compareCPU judges it: the features of
// its guest view that its host CPU (the facts' /proc/cpuinfo features in
// libvirt's names) has too, and the ones left out. A host known only from
// /proc/cpuinfo is its host CPU already.
func limitToHostCPU(h baseline.Host, f *hostfacts.Facts) (baseline.Host, []string) {
	if h.View == baseline.ViewCPUInfo || len(f.Features) == 0 {
		return h, nil
	}
	own := make(map[string]bool, len(f.Features))
	for _, x := range f.Features {
		own[x] = true
	}
	kept := make([]string, 0, len(h.Features))
	var dropped []string
	for _, x := range h.Features {
		if own[x] {
			kept = append(kept, x)
		} else {
			dropped = append(dropped, x)
		}
	}
	h.Features = kept
	return h, dropped
}

// hostCPUWarning says which features were left out for a compareCPU target,
// with how many hosts each; "" when none were.
func hostCPUWarning(rel novarelease.Release, dropped map[string]int) string {
	if len(dropped) == 0 {
		return ""
	}
	names := make([]string, 0, len(dropped))
	for f := range dropped {
		names = append(names, f)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, f := range names {
		parts[i] = fmt.Sprintf("%s (%d host(s))", f, dropped[f])
	}
	return fmt.Sprintf("the target Nova %s checks the CPU against the host CPU (libvirt compareCPU), not against what the hypervisor gives guests: "+
		"features KVM/QEMU give guests but the host CPU lacks are left out, or nova-compute would refuse to start: %s. "+
		"Nova 2023.1 and later compare with the hypervisor's view and keep them.", rel.Name(), strings.Join(parts, ", "))
}
