package baseline

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// Model choice as libvirt makes it (issue 8 item 3; docs/DESIGN.md decision
// "Model choice as libvirt makes it" has the rule with its sources).
//
// libvirt's own baseline (src/cpu/cpu_x86.c virCPUx86Baseline) intersects
// the hosts' CPUs, refuses hosts of different vendors ("CPU vendors do not
// match") and decodes the intersection as a guest CPU (x86Decode): it walks
// the CPU map newest first, skips models of another vendor and models
// marked decode guest='off', and for each model lists the features to add
// (intersection − model: policy require), then those to disable (model −
// intersection), then the model's removed='yes' features the intersection
// lacks (x86DataToCPU, virCPUx86DisableRemovedFeatures). It keeps a
// candidate only when it costs less, or as much with a smaller disabled
// penalty (virCPUx86CompareCandidateFeatureList), so of equal candidates
// the newest wins. libvirtCost computes that cost exactly.

// basePenalty is libvirt's BASE_PENALTY: what the first disabled feature
// it counts costs; each further one costs one more.
const basePenalty = 2

// libvirtCost is virCPUx86CompareCandidateFeatureList's cost of a
// candidate that adds `added` features and disables `disabled` ones
// (listed after the added ones, as x86DataToCPU lists them), and its
// disabled penalty, the tie-break. libvirt's loop runs its index up to the
// count of enabled features while it lowers that count for each disabled
// feature it meets, so it stops early: of d disabled features it charges
// ceil(d/2) as disabled (2, 3, 4...) and the others as enabled (1 each).
// The loop is replayed here rather than given as a formula, so that it
// stays visibly the same code.
func libvirtCost(added, disabled int) (cost, penalty int) {
	enabled := added + disabled
	p := basePenalty
	for i := 0; i < enabled; i++ {
		if i >= added { // the disabled features come after the added ones
			enabled--
			penalty += p
			p++
		}
	}
	return enabled + penalty, penalty
}

// DefaultAssumedLibvirt is the libvirt version assumed for a host whose
// facts carry neither libvirt's model list nor its version (a capture):
// Debian 12's 9.0.0, the oldest libvirt this collection's rig runs, whose
// cpu_map defines no versioned model (none of the 61 x86 files of
// shared/ref/libvirt/cpu_map_debian12_libvirt-9.0.0 is an x86_X-vN.xml).
const DefaultAssumedLibvirt = "9.0.0"

// VersionedModelsSince is the first libvirt version this collection knows
// to define the versioned models (x86_X-vN.xml): the built-in CPU map's,
// 11.3.0, where 86 of the x86 files are versioned. Versions between 9.0.0
// and 11.3.0 are not assumed to define them.
const VersionedModelsSince = "11.3.0"

// versionedName matches libvirt's versioned model names ("EPYC-Milan-v2",
// "Broadwell-v1"). decode guest='off' is no test: libvirt 9.0.0 already
// sets it on Skylake-Server-noTSX-IBRS and other models it defines.
var versionedName = regexp.MustCompile(`-v[0-9]+$`)

// IsVersioned reports whether a model name is one of libvirt's versioned
// names, which libvirt before VersionedModelsSince does not define.
func IsVersioned(model string) bool { return versionedName.MatchString(model) }

// LibvirtAtLeast compares dotted versions numerically ("10.10.0" >= "9.0").
// An unparsable version is older than any.
func LibvirtAtLeast(v, min string) bool {
	a, okA := versionParts(v)
	b, okB := versionParts(min)
	if !okA || !okB {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return true
}

var versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,2}$`)

// CheckLibvirtVersion rejects a version that is not dotted numbers.
func CheckLibvirtVersion(v string) error {
	if v = strings.TrimSpace(v); v != "" && !versionRE.MatchString(v) {
		return fmt.Errorf("libvirt version %q: give it as `virsh version` prints it, e.g. 9.0.0 or 11.3.0", v)
	}
	return nil
}

func versionParts(v string) ([3]int, bool) {
	var out [3]int
	v = strings.TrimSpace(v)
	if !versionRE.MatchString(v) {
		return out, false
	}
	for i, p := range strings.Split(v, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// libvirtOf is the libvirt version class c is judged by when its libvirt
// listed no models: its own, else the assumed one; how says which.
func libvirtOf(c *class, assumed string) (v string, reported bool) {
	if c.libvirtVersion != "" {
		return c.libvirtVersion, true
	}
	return assumed, false
}

// unknownModel is the pseudo-feature blocking a versioned model on a class
// whose (assumed) libvirt does not define it.
func unknownModel(v string, reported bool) string {
	how := "assumed: its facts carry no libvirt version"
	if reported {
		how = "reported by its facts"
	}
	return fmt.Sprintf("(a versioned model unknown to libvirt %s, %s)", v, how)
}

// clusterVendor is the hosts' one vendor, "" when they are of several
// vendors or some class does not name its vendor.
func (a *Accumulator) clusterVendor() string {
	v := ""
	for _, c := range a.classes {
		if c.vendor == "" || (v != "" && !strings.EqualFold(v, c.vendor)) {
			return ""
		}
		v = c.vendor
	}
	return v
}

// pseudo reports whether a lacking entry is a verdict rather than a feature
// ("(not defined by this host's libvirt)"...): it cannot be disabled.
func pseudo(f string) bool { return strings.HasPrefix(f, "(") }

// disableable reports whether every feature in lacking is a feature of m
// that a guest CPU can have disabled.
func disableable(m *cpumodels.Model, lacking []string) bool {
	for _, f := range lacking {
		if pseudo(f) || !m.HasFeature(f) {
			return false
		}
	}
	return len(lacking) > 0
}

// msrFeatures are the model's MSR features other than the vmx-* controls
// (arch-capabilities bits such as mds-no, taa-no): /proc/cpuinfo and lscpu
// never show them.
func msrFeatures(m *cpumodels.Model) []string {
	cpuid := map[string]bool{}
	for _, f := range m.CPUIDFeatures() {
		cpuid[f] = true
	}
	var out []string
	for _, f := range m.Features {
		if !cpuid[f] && !cpumodels.IsVMXControl(f) {
			out = append(out, f)
		}
	}
	return out
}

// msrBlind reports whether some class's view cannot show MSR features (it
// is not libvirt's). A model that runs there only with features disabled
// is then not chosen when it has MSR features: it is a newer generation's
// model than some host, and the MSR bits it adds for that generation
// (mds-no, taa-no...) are exactly what such a host may lack and its view
// cannot show. A model that fits whole is judged as before, by its CPUID
// features (see required).
func (a *Accumulator) msrBlind() bool {
	for _, c := range a.classes {
		if c.view != ViewLibvirt {
			return true
		}
	}
	return false
}

// svmLeaf is CPUID 0x8000000A, AMD's SVM revision and feature leaf: every
// feature there (npt, nrip-save, vmcb-clean, avic...) describes nested SVM.
const svmLeaf = 0x8000000a

// dropNestedOfDisabled moves the SVM capability bits from extra to excl
// when svm itself is disabled: a guest without svm cannot use them (QEMU
// zeroes leaf 0x8000000A for a CPU without svm), and KVM offers them only
// with nested SVM.
func dropNestedOfDisabled(extra []string, excl map[string]featnames.Exclusion, disabled []string, cat *cpumodels.Catalog) []string {
	off := false
	for _, f := range disabled {
		off = off || f == "svm"
	}
	if !off {
		return extra
	}
	out := extra[:0:0]
	for _, f := range extra {
		def, ok := cat.Feature(f)
		if ok && len(def.Bits) > 0 && !def.Bits[0].MSR && def.Bits[0].Leaf == svmLeaf {
			excl[f] = featnames.Exclusion{Flag: f, Reason: ReasonNestedControl,
				Detail: "an SVM capability bit (CPUID 0x8000000A): the base model's svm is disabled, so a guest cannot use it (QEMU clears the leaf without svm, and KVM offers it only to nested guests)."}
			continue
		}
		out = append(out, f)
	}
	return out
}
