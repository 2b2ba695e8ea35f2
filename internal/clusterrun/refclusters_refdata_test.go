package clusterrun_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/clusterrun"
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/cputest"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
)

// refView builds one reference host's facts in a view: "predicted" (the
// synthesized /proc/cpuinfo, guest view predicted on the default stack) or
// "libvirt" (the host's -json.xml: libvirt's host-model CPU from QEMU's
// expansion on that host, the very CPU libvirt's own baseline test starts
// from; it carries no model list and no libvirt version).
func refView(t *testing.T, h cputest.Host, view string) *hostfacts.Facts {
	t.Helper()
	if view == "predicted" {
		return hostfacts.FromCPUWith(h.Name, h.Parsed(t), featnames.Builtin(), hostfacts.Prediction{})
	}
	data, err := os.ReadFile(h.File("-json.xml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := hostfacts.FromDocument(h.Name, data, "", featnames.Builtin(), cpumodels.Builtin(), hostfacts.Prediction{})
	if err != nil {
		t.Fatalf("%s: %v", h.Name, err)
	}
	return f
}

// libvirtPick is the model of libvirt's own baseline of cluster name
// (x86_64-cpuid-baseline-<A+B>.xml, computed by libvirt 11.3.0's cputest
// from the members' -json.xml), "" when libvirt has no such test case.
func libvirtPick(t *testing.T, h cputest.Host, cluster string) string {
	t.Helper()
	name, ok := strings.CutPrefix(cluster, "baseline ")
	if !ok {
		return ""
	}
	path := filepath.Join(filepath.Dir(h.File(".xml")), "x86_64-cpuid-baseline-"+name+".xml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", cluster, err)
	}
	m := regexp.MustCompile(`<model[^>]*>([^<]+)</model>`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no model", path)
	}
	return string(m[1])
}

// guestGets is what a guest of the result is given: the model's features
// without the disabled ones, plus the extra flags; the vmx-* controls (a
// model's nested-only MSR controls) are left out.
func guestGets(res *baseline.Result) []string {
	var out []string
	for _, f := range append(slices.Clone(res.ModelFeatures), res.ExtraFlags...) {
		if !strings.HasPrefix(f, "vmx-") && !slices.Contains(res.DisabledFlags, f) {
			out = append(out, f)
		}
	}
	return out
}

// TestReferenceClusterChoice runs every reference cluster through the
// whole choice (facts → baseline → model, disabled and extra flags), in
// both views and for a Nova that can disable features (2023.1) and one that
// cannot (Victoria), and checks that (1) it is sound: every feature the
// guest is given is enabled on every member in libvirt's -enabled.xml, or,
// in the predicted view, gated above the stack the member's capture proves
// (the captures come from older stacks than the default one); (2) an
// AMD- or Intel-only cluster gets a model of its own vendor when Nova can
// disable, and never disables before Wallaby; (3) where libvirt has a
// baseline test case, the model is the one libvirt picks, except for the
// differences listed in explainedMismatch, each with its reason.
func TestReferenceClusterChoice(t *testing.T) {
	r := cputest.Load(t)
	hosts := cputest.Hosts(t, r)
	byName := map[string]cputest.Host{}
	for _, h := range hosts {
		byName[h.Name] = h
	}
	facts := map[string]*hostfacts.Facts{}
	for _, view := range []string{"predicted", "libvirt"} {
		for _, h := range hosts {
			facts[view+"/"+h.Name] = refView(t, h, view)
		}
	}
	names := make([]string, 0, len(cputest.Clusters))
	for n := range cputest.Clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	var table strings.Builder
	table.WriteString("| cluster | view | nova | model | disabled | libvirt picks | sound |\n|---|---|---|---|---|---|---|\n")
	var clusters, sound, cases, matches int
	for _, cname := range names {
		members := cputest.ClusterMembers(cname, hosts)
		vendors := map[string]bool{}
		for _, m := range members {
			vendors[byName[m].Vendor] = true
		}
		for _, view := range []string{"predicted", "libvirt"} {
			for _, nova := range []string{"2023.1", "victoria"} {
				var in clusterrun.Input
				for _, m := range members {
					in.Hosts = append(in.Hosts, clusterrun.Host{Name: m, Group: "g", Facts: facts[view+"/"+m]})
				}
				in.NovaRelease = nova
				res, err := clusterrun.Compute(in)
				if err != nil {
					t.Fatalf("%s %s %s: %v", cname, view, nova, err)
				}
				id := fmt.Sprintf("%s [%s view, Nova %s]", cname, view, nova)
				clusters++
				if res.Model == "" {
					// Sound only when libvirt's own data says no x86-64
					// model can run on some member: every one needs lm
					// and nx.
					var why []string
					for _, m := range members {
						if h := byName[m]; !h.Enabled["lm"] || !h.Enabled["nx"] {
							why = append(why, m)
						}
					}
					if len(why) == 0 {
						t.Errorf("%s: no model, yet every member's guest has lm and nx: %v", id, res.Warnings)
						continue
					}
					sound++
					fmt.Fprintf(&table, "| %s | %s | %s | none: %s lack lm or nx | | | true |\n", cname, view, nova, strings.Join(why, ", "))
					continue
				}
				var unsound []string
				for _, f := range guestGets(res) {
					for _, m := range members {
						h := byName[m]
						if h.Enabled[f] {
							continue
						}
						if _, gated := cputest.GatedAbove(f, h.Vendor, h.Stack()); view == "predicted" && gated {
							continue
						}
						unsound = append(unsound, f+"@"+m)
					}
				}
				if len(unsound) > 0 {
					t.Errorf("%s: model %s (-%v) + extra flags give guests what KVM disabled: %v", id, res.Model, res.DisabledFlags, unsound)
				} else {
					sound++
				}
				if nova == "victoria" && len(res.DisabledFlags) > 0 {
					t.Errorf("%s: disables %v, which Nova before Wallaby cannot write", id, res.DisabledFlags)
				}
				if len(vendors) == 1 && nova == "2023.1" {
					m, _ := cpumodels.Builtin().Lookup(res.Model)
					if m.Vendor != "" && !vendors[m.Vendor] {
						t.Errorf("%s: %s-only cluster gets %s model %s", id, byName[members[0]].Vendor, m.Vendor, res.Model)
					}
				}
				pick := libvirtPick(t, byName[members[0]], cname)
				mark := ""
				if pick != "" && nova == "2023.1" {
					cases++
					switch why, ok := explainedMismatch[cname+"/"+view]; {
					case res.Model == pick:
						matches++
						mark = "= " + pick
						if ok {
							t.Errorf("%s: matches libvirt's %s now: drop the explained mismatch (%s)", id, pick, why)
						}
					case ok:
						mark = pick + " (differs: " + why + ")"
					default:
						t.Errorf("%s: model %s (disabled %v), libvirt's own baseline picks %s", id, res.Model, res.DisabledFlags, pick)
						mark = pick + " (DIFFERS)"
					}
				}
				fmt.Fprintf(&table, "| %s | %s | %s | %s | %s | %s | %v |\n", cname, view, nova, res.Model,
					strings.Join(res.DisabledFlags, " "), mark, len(unsound) == 0)
			}
		}
	}
	t.Logf("%d of %d cluster choices sound; %d of %d libvirt test cases pick libvirt's model:\n%s", sound, clusters, matches, cases, table.String())
	if dir := os.Getenv("CPUFLAGS_TEST_LOG_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "refclusters-choice.md"), []byte(table.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// explainedMismatch lists the libvirt test cases (cluster/view) whose model
// differs from libvirt's pick, each with why.
var explainedMismatch = map[string]string{}
