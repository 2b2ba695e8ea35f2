package baseline

import (
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// ReasonNestedControl is the exclusion reason of vmx-* controls: they are
// never extra flags (see the package documentation).
const ReasonNestedControl featnames.Reason = "nested-virt-control"

// ReasonInstance is the exclusion reason of features the test instance
// already showed (the brief's step 6).
const ReasonInstance featnames.Reason = "in-instance"

// ReasonNotInCatalog is the exclusion reason of features the CPU model
// catalog (the libvirt whose cpu_map it is) does not define.
const ReasonNotInCatalog featnames.Reason = "not-in-catalog"

// extraFlags returns common − model − instance, minus every feature that
// must not be given to a migrating guest, each exclusion explained.
func extraFlags(common []string, m *cpumodels.Model, inst *Host, names *featnames.Table, cat *cpumodels.Catalog) (extra []string, excl map[string]featnames.Exclusion, instFlags []string) {
	extra = []string{}
	excl = map[string]featnames.Exclusion{}
	cls := newClassifier(inst, names, cat)
	for _, f := range common {
		if m != nil && m.HasFeature(f) {
			continue // the model provides it
		}
		e := cls.classify(f)
		switch {
		case e == nil:
			extra = append(extra, f)
		case e.Reason == ReasonInstance:
			instFlags = append(instFlags, f)
			excl[f] = *e
		default:
			excl[f] = *e
		}
	}
	return extra, excl, instFlags
}

// classifier decides, once per feature, whether a common feature outside
// the model may be an extra flag (nil) or why not.
type classifier struct {
	inst  map[string]bool
	names *featnames.Table
	cat   *cpumodels.Catalog
	memo  map[string]*featnames.Exclusion
}

func newClassifier(inst *Host, names *featnames.Table, cat *cpumodels.Catalog) *classifier {
	c := &classifier{names: names, cat: cat, memo: map[string]*featnames.Exclusion{}}
	if inst != nil {
		c.inst = toSet(inst.Features)
	}
	return c
}

func (c *classifier) classify(f string) *featnames.Exclusion {
	if e, ok := c.memo[f]; ok {
		return e
	}
	var e *featnames.Exclusion
	switch {
	case cpumodels.IsVMXControl(f):
		e = &featnames.Exclusion{Flag: f, Reason: ReasonNestedControl,
			Detail: "vmx-* nested-virtualization controls are VMX capability MSR bits that /proc/cpuinfo never shows and that nested guests need identical on every host; they are never added as extra flags (libvirt's per-host model usability covers them)."}
	case c.inst[f]:
		e = &featnames.Exclusion{Flag: f, Reason: ReasonInstance,
			Detail: "the test instance running the base model already shows it (brief step 6)."}
	default:
		if ok, ex := c.names.Guestable(f); !ok {
			ex.Flag = f
			e = &ex
		} else if _, ok := c.cat.Feature(f); !ok {
			e = &featnames.Exclusion{Flag: f, Reason: ReasonNotInCatalog,
				Detail: "the CPU model catalog (" + c.cat.Source + ") defines no feature " + f + "; libvirt would reject it (\"Unknown CPU feature\")."}
		}
	}
	c.memo[f] = e
	return e
}
