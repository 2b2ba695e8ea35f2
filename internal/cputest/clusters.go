package cputest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/guestview"
)

// Clusters are the clusters the issue asks for, formed from the 51
// reference hosts: same-vendor generations, mixed vendors, and libvirt's
// 13 x86_64-cpuid-baseline-A+B cases (A and B read as the reference host
// whose libvirt host-model is that model).
var Clusters = map[string][]string{
	// libvirt's cpuid-baseline cases
	"baseline Broadwell-IBRS+Cascadelake":      {"Xeon-E5-2623-v4", "Xeon-Platinum-8268"},
	"baseline Cascadelake+Icelake":             {"Xeon-Platinum-8268", "Ice-Lake-Server"},
	"baseline Cascadelake+Skylake-IBRS":        {"Xeon-Platinum-8268", "Xeon-Gold-6130"},
	"baseline Cascadelake+Skylake":             {"Xeon-Platinum-8268", "Xeon-Gold-6148"},
	"baseline Cooperlake+Cascadelake":          {"Cooperlake", "Xeon-Platinum-8268"},
	"baseline Cooperlake+Icelake":              {"Cooperlake", "Ice-Lake-Server"},
	"baseline EPYC+Rome":                       {"EPYC-7601-32-Core", "EPYC-7502-32-Core"},
	"baseline Haswell+Skylake":                 {"Xeon-E7-8890-v3", "Xeon-Gold-6148"},
	"baseline Haswell-noTSX-IBRS+Broadwell":    {"Xeon-E5-2609-v3", "Xeon-E5-2650-v4"},
	"baseline Haswell-noTSX-IBRS+Skylake-IBRS": {"Xeon-E5-2609-v3", "Xeon-Gold-6130"},
	"baseline Haswell-noTSX-IBRS+Skylake":      {"Xeon-E5-2609-v3", "Xeon-Gold-6148"},
	"baseline Ryzen+Rome":                      {"Ryzen-7-1800X-Eight-Core", "EPYC-7502-32-Core"},
	"baseline Skylake-Client+Server":           {"Core-i5-6600", "Xeon-Gold-6148"},
	// same-vendor generations
	"Intel Xeon E5 v3+v4":                     {"Xeon-E5-2609-v3", "Xeon-E5-2630-v3", "Xeon-E5-2650-v3", "Xeon-E5-2623-v4", "Xeon-E5-2630-v4", "Xeon-E5-2650-v4"},
	"Intel Xeon Scalable (Skylake..Ice Lake)": {"Xeon-Gold-5115", "Xeon-Gold-6130", "Xeon-Gold-6148", "Xeon-Platinum-8268", "Xeon-Platinum-9242", "Cooperlake", "Ice-Lake-Server"},
	"Intel Sandy Bridge..Skylake clients":     {"Core-i5-2500", "Core-i7-3770", "Core-i7-4600U", "Core-i7-5600U", "Core-i5-6600", "Core-i7-8700"},
	"Intel Westmere..Ice Lake servers":        {"Xeon-E7-4830", "Xeon-E5-2650", "Xeon-E5-2650-v3", "Xeon-E5-2650-v4", "Xeon-Gold-6148", "Ice-Lake-Server"},
	"AMD EPYC Naples+Rome+Ryzen":              {"EPYC-7601-32-Core", "EPYC-7601-32-Core-ibpb", "EPYC-7502-32-Core", "Ryzen-7-1800X-Eight-Core", "Ryzen-9-3900X-12-Core"},
	"AMD Opteron G3..Rome":                    {"Opteron-2350", "Opteron-6234", "A10-5800K", "EPYC-7601-32-Core", "EPYC-7502-32-Core"},
	"AMD+Hygon Zen":                           {"EPYC-7601-32-Core", "Hygon-C86-7185-32-core"},
	// mixed vendors
	"mixed Cascade Lake+Ice Lake+Rome": {"Xeon-Platinum-8268", "Ice-Lake-Server", "EPYC-7502-32-Core"},
	"mixed Skylake+Rome":               {"Xeon-Gold-6148", "EPYC-7502-32-Core"},
	"mixed Broadwell+Naples":           {"Xeon-E5-2650-v4", "EPYC-7601-32-Core"},
	"mixed Ice Lake+Zen2+Hygon":        {"Ice-Lake-Server", "Ryzen-9-3900X-12-Core", "Hygon-C86-7185-32-core"},
	"mixed all 51":                     nil, // every reference host
}

// ClusterMembers returns the reference host names of cluster name, every
// host for "mixed all 51".
func ClusterMembers(name string, hosts []Host) []string {
	if m := Clusters[name]; m != nil {
		return m
	}
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = h.Name
	}
	return out
}

// GatedAbove names the version gate of a rule for feature on vendor that
// the proven stack does not meet.
func GatedAbove(feature, vendor string, proven guestview.Stack) (string, bool) {
	for _, r := range guestview.Rules() {
		if !slices.Contains(r.Features, feature) || len(r.Vendors) > 0 && !slices.Contains(r.Vendors, vendor) {
			continue
		}
		switch {
		case r.MinLinux != "" && !VersionAtLeast(proven.Linux, r.MinLinux):
			return r.ID + ": linux >= " + r.MinLinux, true
		case r.MinQEMU != "" && !VersionAtLeast(proven.QEMU, r.MinQEMU):
			return r.ID + ": qemu >= " + r.MinQEMU, true
		}
	}
	return "", false
}

// VersionAtLeast compares major.minor as guestview does (an unknown or
// unparsable version is never at least anything).
func VersionAtLeast(have, want string) bool {
	if have == guestview.StackUnknown || !guestview.ValidVersion(have) {
		return false
	}
	hp, wp := strings.SplitN(have, ".", 3), strings.SplitN(want, ".", 3)
	for i := 0; i < 2; i++ {
		var h, w int
		if i < len(hp) {
			fmt.Sscanf(hp[i], "%d", &h)
		}
		if i < len(wp) {
			fmt.Sscanf(wp[i], "%d", &w)
		}
		if h != w {
			return h > w
		}
	}
	return true
}
