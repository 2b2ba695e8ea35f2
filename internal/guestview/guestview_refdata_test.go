package guestview_test

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cputest"
	"github.com/kvm-migration/cpuflags/internal/guestview"
)

// unknownStack is the most conservative assumption: no version known.
var unknownStack = guestview.Stack{Linux: guestview.StackUnknown, QEMU: guestview.StackUnknown}

// predictRef predicts h's guest view; opts.Stack zero means "the stack the
// capture proves" (cputest.Host.stack).
func predictRef(t testing.TB, h cputest.Host, opts guestview.Options) guestview.View {
	t.Helper()
	if opts.Stack == (guestview.Stack{}) {
		opts.Stack = h.Stack()
	}
	cpu := h.Parsed(t)
	tr := h.Translated(t)
	return guestview.Predict(guestview.Host{
		Vendor: cpu.Vendor, Family: cpu.Family, Model: cpu.Model, Stepping: cpu.Stepping,
		Features: tr.Features, LinuxFlags: cpu.Flags,
	}, opts)
}

type hostScore struct {
	name           string
	predicted      int
	falsePositives []string // predicted and in -disabled.xml
	notEnabled     []string // predicted but not in -enabled.xml
	enabledCPUID   int      // -enabled.xml features a capture can show (CPUID, not vmx-*/MSR)
	hit            int      // predicted ∩ enabledCPUID
	missed         []string
}

func score(r *cputest.Set, h cputest.Host, v guestview.View) hostScore {
	s := hostScore{name: h.Name, predicted: len(v.Features)}
	pred := map[string]bool{}
	for _, f := range v.Features {
		pred[f] = true
		if h.Disabled[f] {
			s.falsePositives = append(s.falsePositives, f)
		}
		if !h.Enabled[f] {
			s.notEnabled = append(s.notEnabled, f)
		}
	}
	for f := range h.Enabled {
		if strings.HasPrefix(f, "vmx-") || cputest.IsMSRFeature(r, f) {
			continue
		}
		s.enabledCPUID++
		if pred[f] {
			s.hit++
		} else {
			s.missed = append(s.missed, f)
		}
	}
	sort.Strings(s.missed)
	return s
}

// TestReferenceHostsSound is the check over libvirt's 51 real CPUs:
// the predicted view of each synthesized capture contains no feature the
// host's -disabled.xml lists, contains only features -enabled.xml lists,
// and has the always-emulated features. Each capture is predicted with the
// stack it proves (QEMU 5.0 for the captures whose model expansion has QEMU
// 5.0's vmx-* properties, no kernel version for any: cputest.Host.Stack),
// then again knowing nothing.
func TestReferenceHostsSound(t *testing.T) {
	t.Run("capture-stack", func(t *testing.T) { referenceHostsSound(t, guestview.Stack{}, "refhosts-default.md") })
	t.Run("unknown-stack", func(t *testing.T) { referenceHostsSound(t, unknownStack, "refhosts-unknown.md") })
}

func referenceHostsSound(t *testing.T, stack guestview.Stack, logName string) {
	r := cputest.Load(t)
	hosts := cputest.Hosts(t, r)
	if len(hosts) != 51 {
		t.Fatalf("reference hosts with -enabled.xml: %d, want 51", len(hosts))
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| host | vendor | stack | predicted | false positives vs -disabled | predicted not in -enabled | recall vs -enabled (CPUID features) |\n|---|---|---|---|---|---|---|\n")
	var totHit, totEnabled, totPred, totFP int
	for _, h := range hosts {
		v := predictRef(t, h, guestview.Options{Stack: stack})
		s := score(r, h, v)
		if len(s.falsePositives) > 0 {
			t.Errorf("%s: predicted features that QEMU/KVM disabled on this host: %v", h.Name, s.falsePositives)
		}
		if len(s.notEnabled) > 0 {
			t.Errorf("%s: predicted features that QEMU/KVM did not enable: %v", h.Name, s.notEnabled)
		}
		for _, f := range []string{"hypervisor", "x2apic"} {
			if !contains(v.Features, f) {
				t.Errorf("%s: always-emulated %s missing from the predicted view", h.Name, f)
			}
			if !h.Enabled[f] {
				t.Errorf("%s: the data does not show %s enabled, yet the rules call it always emulated", h.Name, f)
			}
		}
		recall := 100 * float64(s.hit) / float64(max(1, s.enabledCPUID))
		fmt.Fprintf(&table, "| %s | %s | %s | %d | %d | %d | %d/%d = %.0f%% |\n", h.Name, h.Vendor, stackLabel(v), s.predicted, len(s.falsePositives), len(s.notEnabled), s.hit, s.enabledCPUID, recall)
		totHit += s.hit
		totEnabled += s.enabledCPUID
		totPred += s.predicted
		totFP += len(s.falsePositives)
		if testing.Verbose() {
			t.Logf("%s: missed %v", h.Name, s.missed)
		}
	}
	fmt.Fprintf(&table, "| **all 51** | | | %d | %d | | %d/%d = %.1f%% |\n", totPred, totFP, totHit, totEnabled, 100*float64(totHit)/float64(totEnabled))
	t.Logf("%s:\n%s", logName, table.String())
	writeLog(t, logName, table.String())
}

func stackLabel(v guestview.View) string {
	if v.Options.Stack.QEMU == guestview.StackUnknown {
		return "unknown"
	}
	return "linux " + v.Options.Stack.Linux + ", qemu " + v.Options.Stack.QEMU
}

// assumedStacks are the stacks the recall is reported for beyond what the
// captures prove: the default assumption, Debian 12's, and a current one.
var assumedStacks = []struct {
	name  string
	stack guestview.Stack
}{
	{"default", guestview.DefaultStack},
	{"debian12", guestview.Stack{Linux: "6.1", QEMU: "7.2"}},
	{"current", guestview.Stack{Linux: "6.16", QEMU: "10.1"}},
}

// TestReferenceHostsStackGated shows what the stack versions buy. libvirt's
// captures come from stacks older than these (and from vendor kernels:
// their data lacks behaviours of mainline releases older than the default),
// so a capture may get a feature its own stack refused; every such feature
// must be one whose rule names a stack newer than the capture proves, never
// one of the long-standing rules. Each assumed stack must raise recall over
// an unknown one.
func TestReferenceHostsStackGated(t *testing.T) {
	r := cputest.Load(t)
	hosts := cputest.Hosts(t, r)
	var hitUnknown, enabled int
	for _, h := range hosts {
		s := score(r, h, predictRef(t, h, guestview.Options{Stack: unknownStack}))
		hitUnknown += s.hit
		enabled += s.enabledCPUID
	}
	summary := fmt.Sprintf("stack unknown: %d/%d = %.1f%%\n", hitUnknown, enabled, 100*float64(hitUnknown)/float64(enabled))
	for _, as := range assumedStacks {
		var hit int
		var table strings.Builder
		fmt.Fprintf(&table, "| host | stack the capture proves | predicted, not enabled on that host's stack (the rule's gate) |\n|---|---|---|\n")
		for _, h := range hosts {
			s := score(r, h, predictRef(t, h, guestview.Options{Stack: as.stack}))
			hit += s.hit
			wrong := map[string]bool{}
			for _, f := range append(append([]string{}, s.falsePositives...), s.notEnabled...) {
				wrong[f] = true
			}
			var gates []string
			for _, f := range slices.Sorted(maps.Keys(wrong)) {
				g, ok := cputest.GatedAbove(f, h.Vendor, h.Stack())
				if !ok {
					t.Errorf("%s on a %s stack: %s is refused by this host's stack but no rule gated above what the capture proves (%+v) explains it", h.Name, as.name, f, h.Stack())
				}
				gates = append(gates, f+" ("+g+")")
			}
			if len(gates) > 0 {
				fmt.Fprintf(&table, "| %s | %s | %s |\n", h.Name, stackLabel(guestview.View{Options: guestview.Options{Stack: h.Stack()}}), strings.Join(gates, ", "))
			}
		}
		// Not monotonic: Linux 6.13 withdrew spec-ctrl on AMD hosts without
		// AMD_IBPB_RET (the EPYC 7502 loses it on the current stack).
		if hit <= hitUnknown {
			t.Errorf("assuming the %s stack %+v should raise recall over an unknown stack: %d hits, unknown %d", as.name, as.stack, hit, hitUnknown)
		}
		line := fmt.Sprintf("stack %s (linux %s, qemu %s): %d/%d = %.1f%%", as.name, as.stack.Linux, as.stack.QEMU, hit, enabled, 100*float64(hit)/float64(enabled))
		summary += line + "\n"
		t.Logf("%s; features the captures' older stacks refused:\n%s", line, table.String())
		writeLog(t, "refhosts-stack-"+as.name+".md", line+"\n\n"+table.String())
	}
	writeLog(t, "refhosts-recall.txt", summary)
}

// TestReferenceHostsNested: with nested: true, hosts whose KVM ran with
// nested=1 (their -enabled.xml has vmx/svm) get vmx/svm, marked
// nested-only, and still nothing their -disabled.xml lists.
func TestReferenceHostsNested(t *testing.T) {
	r := cputest.Load(t)
	checked := 0
	for _, h := range cputest.Hosts(t, r) {
		nestedOn := h.Enabled["vmx"] || h.Enabled["svm"]
		if !nestedOn {
			continue
		}
		checked++
		v := predictRef(t, h, guestview.Options{Nested: true})
		s := score(r, h, v)
		if len(s.falsePositives) > 0 {
			t.Errorf("%s (nested=1): predicted features QEMU/KVM disabled: %v", h.Name, s.falsePositives)
		}
		want := "vmx"
		if h.Vendor != "Intel" {
			want = "svm"
		}
		if !contains(v.Features, want) || !contains(v.NestedOnly, want) {
			t.Errorf("%s: nested: true should give %s marked nested-only; features %v nested-only %v", h.Name, want, v.Features, v.NestedOnly)
		}
		plain := predictRef(t, h, guestview.Options{})
		if contains(plain.Features, want) {
			t.Errorf("%s: %s predicted without nested: true", h.Name, want)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d reference hosts ran nested KVM; the data changed?", checked)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeLog stores a result table under $CPUFLAGS_TEST_LOG_DIR when set (the
// numbers in docs/BENCHMARKS.md come from there).
func writeLog(t *testing.T, name, content string) {
	dir := os.Getenv("CPUFLAGS_TEST_LOG_DIR")
	if dir == "" {
		return
	}
	if err := os.WriteFile(dir+"/"+name, []byte(content), 0o644); err != nil {
		t.Errorf("write test log: %v", err)
	}
}
