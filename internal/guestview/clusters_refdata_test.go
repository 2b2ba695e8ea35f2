package guestview_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/clusterrun"
	"github.com/kvm-migration/cpuflags/internal/cputest"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/guestview"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
)

// refClusters are the clusters the issue asks for, formed from the 51
// reference hosts: same-vendor generations, mixed vendors, and libvirt's
// 13 x86_64-cpuid-baseline-A+B cases (A and B read as the reference host
// whose libvirt host-model is that model).
var refClusters = map[string][]string{
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
	"mixed all 51":                     nil,
}

// TestReferenceClustersSound: the features every member's predicted view
// shares are enabled on every member (so a model plus extra flags drawn
// from them cannot be refused for a feature the rules promised).
func TestReferenceClustersSound(t *testing.T) {
	r := cputest.Load(t)
	hosts := cputest.Hosts(t, r)
	byName := map[string]cputest.Host{}
	for _, h := range hosts {
		byName[h.Name] = h
	}
	names := make([]string, 0, len(refClusters))
	for n := range refClusters {
		names = append(names, n)
	}
	sort.Strings(names)
	var table strings.Builder
	fmt.Fprintf(&table, "| cluster | hosts | common predicted | common enabled (CPUID) | unsound |\n|---|---|---|---|---|\n")
	for _, cname := range names {
		members := refClusters[cname]
		if members == nil {
			for _, h := range hosts {
				members = append(members, h.Name)
			}
		}
		var common, commonEnabled map[string]bool
		for _, m := range members {
			h, ok := byName[m]
			if !ok {
				t.Fatalf("cluster %s: no reference host %s", cname, m)
			}
			pred := map[string]bool{}
			for _, f := range predictRef(t, h, guestview.Options{}).Features {
				pred[f] = true
			}
			en := map[string]bool{}
			for f := range h.Enabled {
				if !strings.HasPrefix(f, "vmx-") && !cputest.IsMSRFeature(r, f) {
					en[f] = true
				}
			}
			common, commonEnabled = intersect(common, pred), intersect(commonEnabled, en)
		}
		var unsound []string
		for f := range common {
			for _, m := range members {
				if !byName[m].Enabled[f] {
					unsound = append(unsound, f+"@"+m)
				}
			}
		}
		sort.Strings(unsound)
		if len(unsound) > 0 {
			t.Errorf("cluster %s: common predicted features not enabled on a member: %v", cname, unsound)
		}
		fmt.Fprintf(&table, "| %s | %d | %d | %d | %d |\n", cname, len(members), len(common), len(commonEnabled), len(unsound))
	}
	t.Logf("clusters (default options):\n%s", table.String())
	writeLog(t, "refclusters-default.md", table.String())
}

func intersect(acc, next map[string]bool) map[string]bool {
	if acc == nil {
		return next
	}
	out := map[string]bool{}
	for f := range acc {
		if next[f] {
			out[f] = true
		}
	}
	return out
}

// TestIssueClusterModel is the issue's example: Cascade Lake + Ice Lake +
// Rome on the default stack gets SandyBridge-IBRS, because KVM (Linux 5.6
// to 6.12) synthesizes Intel's spec-ctrl on the Rome host from its IBPB and
// IBRS; on Linux 6.13 and later it does not (Rome has no AMD_IBPB_RET), and
// with nothing known about the kernel nothing version-gated is promised.
// Every feature of the chosen model and extra flags is enabled on every
// member in libvirt's data, or is gated above the stack the member's
// capture proves (the captures are older than the stacks assumed).
func TestIssueClusterModel(t *testing.T) {
	r := cputest.Load(t)
	byName := map[string]cputest.Host{}
	for _, h := range cputest.Hosts(t, r) {
		byName[h.Name] = h
	}
	members := refClusters["mixed Cascade Lake+Ice Lake+Rome"]
	for _, c := range []struct {
		stack guestview.Stack
		model string
		why   string
	}{
		{guestview.DefaultStack, "SandyBridge-IBRS", "spec-ctrl synthesized on Rome (Linux 5.6 to 6.12)"},
		{guestview.Stack{Linux: "6.16", QEMU: "10.1"}, "SandyBridge", "Linux 6.13 and later need AMD_IBPB_RET, which Rome lacks"},
		{guestview.Stack{Linux: guestview.StackUnknown, QEMU: guestview.StackUnknown}, "Westmere", "nothing version-gated with an unknown stack: Rome's tsc-deadline is emulated"},
	} {
		var in clusterrun.Input
		for i, m := range members {
			h := byName[m]
			f := hostfacts.FromCPUWith(m, h.Parsed(t), featnames.Builtin(), hostfacts.Prediction{Guest: guestview.Options{Stack: c.stack}})
			in.Hosts = append(in.Hosts, clusterrun.Host{Name: m, Group: []string{"a", "b", "c"}[i], Facts: f})
		}
		res, err := clusterrun.Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Model != c.model {
			t.Errorf("stack %+v: model %s, want %s (%s)", c.stack, res.Model, c.model, c.why)
		}
		for _, f := range append(slices.Clone(res.ModelFeatures), res.ExtraFlags...) {
			if strings.HasPrefix(f, "vmx-") {
				continue // nested-only controls a model lists; not CPUID
			}
			for _, m := range members {
				h := byName[m]
				if h.Enabled[f] {
					continue
				}
				// libvirt's captures come from older stacks than the one
				// assumed: only a feature gated above what the capture
				// proves may be missing there.
				if _, ok := gatedAbove(f, h.Vendor, h.Stack()); !ok {
					t.Errorf("stack %+v: %s (model %s or extra flag) is not enabled on %s and no version gate explains it", c.stack, f, res.Model, m)
				}
			}
		}
	}
}
