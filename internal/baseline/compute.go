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
	ids := a.classIDs()
	r := &Result{
		Common:        a.Common(),
		ModelBlockers: map[string][]string{},
		Excluded:      map[string]featnames.Exclusion{},
		ExcludedLinux: map[string]featnames.Exclusion{},
		Warnings:      []string{},
		ExtraFlags:    []string{},
		Explanation:   []string{},
	}
	r.summarize(a, hosts, ids)
	common := toSet(r.Common)
	rc := newRequiredCache(a)

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
		bl := classBlockers(m, a, rc)
		r.ModelBlockers = hostBlockers(a, bl)
		if len(bl) > 0 {
			r.ModelBlockedClasses = map[string][]string{}
			for ci, lack := range bl {
				r.ModelBlockedClasses[ids[ci]] = lack
				r.Classes[a.classRank(ids, ci)].Blocked = lack
			}
		}
	}
	cands := rankCandidates(cat, names, a, common, req.Instance, rc)
	r.Candidates = pickCandidates(cands, req.Candidates, ids)
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
		r.Warnings = append(r.Warnings, "no CPU model of "+cat.Source+" runs on every host: "+noneReason(plain(cands))+"; nova.conf cannot be written for this cluster with cpu_mode=custom. Split the cluster (e.g. by vendor) or name a model and remove the blocking hosts.")
	} else {
		r.Model = model.Name
		r.ModelFeatures = slices.Clone(model.Features)
	}
	r.Rejected = rejectedBetter(cands, r.Model, req.Candidates, ids)

	// Extra flags.
	r.ExtraFlags, r.Excluded, r.InstanceFlags = extraFlags(r.Common, model, req.Instance, names, cat)
	r.linuxArtifacts(a, req, names)
	r.warn(a, model, req, names)
	r.explain(hosts, model, plain(cands))
	if model != nil {
		r.NovaConf = NovaConf(r.Model, r.ExtraFlags)
		r.LibvirtXML = LibvirtCPUXML(r.Model, r.ExtraFlags)
		r.QEMUCPU = QEMUCPU(r.Model, r.ExtraFlags)
	}
	return r, nil
}

func (r *Result) summarize(a *Accumulator, hosts []Host, ids []string) {
	uniq := a.unique()
	vendors := map[string]bool{}
	r.Hosts = make([]HostSummary, 0, len(hosts))
	for k, i := range a.byName() {
		h := hosts[k]
		r.Hosts = append(r.Hosts, HostSummary{
			Name: h.Name, Group: h.Group, Vendor: h.Vendor, ModelName: h.ModelName, View: h.View,
			FeatureCount: len(h.Features), LinuxFlagCount: len(h.LinuxFlags), Unique: uniq[i],
			Class: ids[a.classOf[i]],
		})
	}
	for _, c := range a.classes {
		v := c.vendor
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

	missing := a.missingClasses()
	r.MissingClasses = make(map[string][]string, len(missing))
	lacks := make([][]string, len(a.classes))
	for f, cls := range missing {
		out := make([]string, len(cls))
		for k, ci := range cls {
			out[k] = ids[ci]
			lacks[ci] = append(lacks[ci], f)
		}
		sort.Slice(out, func(i, j int) bool { return classIDLess(out[i], out[j]) })
		r.MissingClasses[f] = out
	}
	r.Classes = make([]HostClass, len(a.classes))
	for ci, c := range a.classes {
		members := a.memberNames(ci)
		groups := map[string]bool{}
		for _, i := range c.members {
			if g := a.hosts[i].Group; g != "" {
				groups[g] = true
			}
		}
		sort.Strings(lacks[ci])
		r.Classes[a.classRank(ids, ci)] = HostClass{
			ID: ids[ci], Count: len(members), Members: members, Groups: setList(groups),
			Vendor: c.vendor, ModelName: c.modelName, View: c.view,
			Features: c.features, LinuxFlagCount: len(c.linuxFlags), Lacks: lacks[ci],
		}
	}
}
