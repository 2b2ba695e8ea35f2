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
	names := make([]string, 0, len(cputest.Clusters))
	for n := range cputest.Clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	var table strings.Builder
	fmt.Fprintf(&table, "| cluster | hosts | common predicted | common enabled (CPUID) | unsound |\n|---|---|---|---|---|\n")
	for _, cname := range names {
		members := cputest.Clusters[cname]
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
	members := cputest.Clusters["mixed Cascade Lake+Ice Lake+Rome"]
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
				if _, ok := cputest.GatedAbove(f, h.Vendor, h.Stack()); !ok {
					t.Errorf("stack %+v: %s (model %s or extra flag) is not enabled on %s and no version gate explains it", c.stack, f, res.Model, m)
				}
			}
		}
	}
}
