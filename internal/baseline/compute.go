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
	// AllowDisable says the target Nova accepts "-feature" in
	// cpu_model_extra_flags (Wallaby and later): in a cluster of one vendor
	// a model of that vendor may then run with the features some host lacks
	// disabled, as libvirt's own baseline chooses (libvirtchoice.go).
	AllowDisable bool
	// Disable lists features of the named Model disabled for guests (a
	// plan's disabled flags, checked again by drift): hosts lacking only
	// these are not blocked.
	Disable []string
	// NovaRelease names the target Nova release for the explanation (e.g.
	// "2023.1 (27)"); AllowDisable carries what it accepts.
	NovaRelease string
	// LibvirtVersion is the libvirt version assumed for hosts whose facts
	// carry neither libvirt's model list nor its version; "" means
	// DefaultAssumedLibvirt.
	LibvirtVersion string
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
		DisabledFlags: []string{},
		NovaRelease:   req.NovaRelease,
	}
	if err := CheckLibvirtVersion(req.LibvirtVersion); err != nil {
		return nil, fmt.Errorf("compute the cluster baseline: %w", err)
	}
	r.summarize(a, hosts, ids)
	common := toSet(r.Common)
	rc := newRequiredCache(a, req.LibvirtVersion)
	r.noteAssumedLibvirt(a, ids, rc.assumed)

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
		for _, f := range req.Disable {
			if f = strings.TrimSpace(f); m.HasFeature(f) && !slices.Contains(r.DisabledFlags, f) {
				r.DisabledFlags = append(r.DisabledFlags, f)
			}
		}
		sort.Strings(r.DisabledFlags)
		bl := withoutDisabled(classBlockers(m, a, rc), r.DisabledFlags)
		r.ModelBlockers = hostBlockers(a, bl)
		if len(bl) > 0 {
			r.ModelBlockedClasses = map[string][]string{}
			for ci, lack := range bl {
				r.ModelBlockedClasses[ids[ci]] = lack
				r.Classes[a.classRank(ids, ci)].Blocked = lack
			}
		}
	}
	cands := rankCandidates(cat, names, a, common, req.Instance, rc, rankOptions{allowDisable: req.AllowDisable})
	r.Candidates = pickCandidates(cands, req.Candidates, ids)
	if model == nil {
		for _, c := range cands {
			if c.Fits {
				model, _ = cat.Lookup(c.Model)
				r.ModelSource = ModelRecommended
				r.DisabledFlags = slices.Clone(c.Disabled)
				if len(c.Disabled) > 0 {
					r.PreferredOver = firstOtherVendorFit(cands)
				}
				if !req.AllowDisable && c.OtherVendor {
					// What a Nova that can disable features would get.
					for _, o := range rankCandidates(cat, names, a, common, req.Instance, rc, rankOptions{allowDisable: true}) {
						if o.Fits {
							if len(o.Disabled) > 0 {
								r.NotDisabled = &Candidate{Model: o.Model, Vendor: o.Vendor, Disabled: o.Disabled, Score: o.Score}
							}
							break
						}
					}
				}
				break
			}
		}
	}
	if model != nil {
		for _, f := range model.Removed {
			if !common[f] {
				r.RemovedFlags = append(r.RemovedFlags, f)
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
	r.ExtraFlags = dropNestedOfDisabled(r.ExtraFlags, r.Excluded, r.DisabledFlags, cat)
	r.linuxArtifacts(a, req, names)
	r.warn(a, model, req, names)
	r.explain(hosts, model, plain(cands))
	if model != nil {
		r.NovaConf = NovaConf(r.Model, r.ExtraFlags, r.DisabledFlags...)
		r.LibvirtXML = LibvirtCPUXML(r.Model, r.ExtraFlags, r.DisabledFlags...)
		r.QEMUCPU = QEMUCPU(r.Model, r.ExtraFlags, r.DisabledFlags...)
	}
	return r, nil
}

// firstOtherVendorFit is the best model of another vendor that runs whole
// on every host ("" when none).
func firstOtherVendorFit(cands []ranked) string {
	for _, c := range cands {
		if c.Fits && c.OtherVendor && len(c.Disabled) == 0 {
			return c.Model
		}
	}
	return ""
}

// withoutDisabled drops the disabled features from class blockers: a class
// that lacks only disabled features is not blocked.
func withoutDisabled(bl map[int][]string, disabled []string) map[int][]string {
	if len(disabled) == 0 {
		return bl
	}
	out := map[int][]string{}
	for ci, fs := range bl {
		var keep []string
		for _, f := range fs {
			if !slices.Contains(disabled, f) {
				keep = append(keep, f)
			}
		}
		if len(keep) > 0 {
			out[ci] = keep
		}
	}
	return out
}

// noteAssumedLibvirt records the libvirt version assumed for the classes
// whose facts carry neither libvirt's model list nor its version.
func (r *Result) noteAssumedLibvirt(a *Accumulator, ids []string, assumed string) {
	for ci, c := range a.classes {
		if len(c.libvirtModels) == 0 && c.libvirtVersion == "" {
			r.AssumedFor = append(r.AssumedFor, ids[ci])
		}
	}
	if len(r.AssumedFor) > 0 {
		r.AssumedLibvirt = assumed
		sort.Slice(r.AssumedFor, func(i, j int) bool { return classIDLess(r.AssumedFor[i], r.AssumedFor[j]) })
	}
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
