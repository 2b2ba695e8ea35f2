package baseline

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// Request says how to pick the base model.
type Request struct {
	// Model is the base model the operator names; "" recommends one.
	Model string
	// Instance is the test instance running the baseline model (the brief's
	// step 3), optional. It is not a hypervisor: it never takes part in the
	// intersection; its features are subtracted from the extra flags and its
	// Linux flags from final-common.flags.list.
	Instance *Host
	// Catalog is the CPU model catalog; nil uses cpumodels.Builtin().
	Catalog *cpumodels.Catalog
	// Names is the feature name table; nil uses featnames.Builtin().
	Names *featnames.Table
	// Groups orders the inventory groups: the first is the source, the
	// others together the target. Empty: groups sorted by name.
	Groups []string
	// Candidates caps the fitting and non-fitting candidates listed;
	// 0 means DefaultCandidates.
	Candidates int
}

// ErrNoHosts is returned by Compute for an empty Accumulator.
var ErrNoHosts = errors.New("no hosts")

// ErrUnknownModel is wrapped by Compute's error for a model name the catalog
// does not know.
var ErrUnknownModel = errors.New("unknown CPU model")

// Compute computes what the cluster in a can share, picks the base model and
// explains every decision. It reads no files.
func Compute(a *Accumulator, req Request) (*Result, error) {
	if a == nil || a.Len() == 0 {
		return nil, fmt.Errorf("compute the cluster baseline: %w: add the facts of at least one hypervisor", ErrNoHosts)
	}
	cat := req.Catalog
	if cat == nil {
		cat = cpumodels.Builtin()
	}
	names := req.Names
	if names == nil {
		names = featnames.Builtin()
	}
	hosts := a.Hosts()
	r := &Result{
		Common:        a.Common(),
		Missing:       a.Missing(),
		ModelBlockers: map[string][]string{},
		Excluded:      map[string]featnames.Exclusion{},
		ExcludedLinux: map[string]featnames.Exclusion{},
		Warnings:      []string{},
		ExtraFlags:    []string{},
		Explanation:   []string{},
	}
	r.summarize(a, hosts)
	common := toSet(r.Common)

	// Base model.
	var model *cpumodels.Model
	if strings.TrimSpace(req.Model) != "" {
		m, ok := cat.Lookup(strings.TrimSpace(req.Model))
		if !ok {
			return nil, fmt.Errorf("base model %q: %w in %s; closest names: %s; pick one of `virsh cpu-models x86_64`",
				req.Model, ErrUnknownModel, cat.Source, strings.Join(closest(req.Model, cat.ModelNames(), 3), ", "))
		}
		model = m
		r.ModelSource = ModelRequested
		r.ModelBlockers = blockers(m, hosts, hostSets(hosts))
	}
	cands := rankCandidates(cat, names, hosts, common, req.Instance)
	r.Candidates = pickCandidates(cands, req.Candidates)
	if model == nil {
		for _, c := range cands {
			if c.Fits {
				model, _ = cat.Lookup(c.Model)
				r.ModelSource = ModelRecommended
				break
			}
		}
	}
	if model == nil {
		r.ModelSource = ModelNone
		r.Warnings = append(r.Warnings, "no CPU model of "+cat.Source+" runs on every host: "+noneReason(cands)+"; nova.conf cannot be written for this cluster with cpu_mode=custom. Split the cluster (e.g. by vendor) or name a model and remove the blocking hosts.")
	} else {
		r.Model = model.Name
		r.ModelFeatures = slices.Clone(model.Features)
	}

	// Extra flags.
	r.ExtraFlags, r.Excluded, r.InstanceFlags = extraFlags(r.Common, model, req.Instance, names, cat)
	r.linuxArtifacts(a, req, names)
	r.warn(hosts, model, req, names)
	r.explain(hosts, model, cands)
	if model != nil {
		r.NovaConf = NovaConf(r.Model, r.ExtraFlags)
		r.LibvirtXML = LibvirtCPUXML(r.Model, r.ExtraFlags)
		r.QEMUCPU = QEMUCPU(r.Model, r.ExtraFlags)
	}
	return r, nil
}

func (r *Result) summarize(a *Accumulator, hosts []Host) {
	uniq := a.unique()
	vendors := map[string]bool{}
	for _, h := range hosts {
		i := a.index[h.Name]
		r.Hosts = append(r.Hosts, HostSummary{
			Name: h.Name, Group: h.Group, Vendor: h.Vendor, ModelName: h.ModelName, View: h.View,
			FeatureCount: len(h.Features), LinuxFlagCount: len(h.LinuxFlags), Unique: uniq[i],
		})
		v := h.Vendor
		if v == "" {
			v = "unknown"
		}
		vendors[v] = true
	}
	for v := range vendors {
		r.Vendors = append(r.Vendors, v)
	}
	sort.Strings(r.Vendors)
	r.MixedVendor = len(r.Vendors) > 1
}
