package baseline

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/editdist"
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

// DefaultCandidates is how many fitting and how many non-fitting models
// Result.Candidates lists (each).
const DefaultCandidates = 5

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

// required returns the model features a host must offer, by the host's view,
// without the vmx-* controls (see the package documentation).
func required(m *cpumodels.Model, h Host) []string {
	src := cpumodels.FromCPUInfo
	if h.View == ViewLibvirt {
		src = cpumodels.FromLibvirt
	}
	var out []string
	for _, f := range m.Required(src) {
		if !cpumodels.IsVMXControl(f) {
			out = append(out, f)
		}
	}
	return out
}

// requiredCache memoizes required per model and view.
type requiredCache map[string][]string

func (rc requiredCache) get(m *cpumodels.Model, h Host) []string {
	k := m.Name + "\x00" + h.View
	if v, ok := rc[k]; ok {
		return v
	}
	v := required(m, h)
	rc[k] = v
	return v
}

// blockers maps every host that cannot run m to the features it lacks,
// joined with the blockers its libvirt reported (libvirt usable='no' without
// a list gives the pseudo-feature "(libvirt: not usable)").
func blockers(m *cpumodels.Model, hosts []Host, sets []map[string]bool) map[string][]string {
	out := map[string][]string{}
	rc := requiredCache{}
	for i, h := range hosts {
		have := sets[i]
		var lack []string
		for _, f := range rc.get(m, h) {
			if !have[f] {
				lack = append(lack, f)
			}
		}
		u, ok := libvirtModel(h, m.Name)
		if !ok && len(h.LibvirtModels) > 0 {
			lack = append(lack, "(not defined by this host's libvirt)")
		}
		if ok && u.Usable == "no" {
			if len(u.Blockers) == 0 && len(lack) == 0 {
				lack = append(lack, "(libvirt: not usable)")
			}
			lack = append(lack, u.Blockers...)
		}
		if len(lack) > 0 {
			sort.Strings(lack)
			out[h.Name] = slices.Compact(lack)
		}
	}
	return out
}

// libvirtModel finds what h's libvirt said about model name (case-insensitive).
func libvirtModel(h Host, name string) (u struct {
	Usable     string
	Deprecated bool
	Blockers   []string
}, found bool) {
	for _, m := range h.LibvirtModels {
		if strings.EqualFold(m.Name, name) {
			u.Usable, u.Deprecated, u.Blockers = m.Usable, m.Deprecated, m.Blockers
			return u, true
		}
	}
	return u, false
}

// rankCandidates evaluates every x86-64 model of the catalog and sorts them:
// fitting first, then (fitting) fewest extra flags, usable everywhere per
// libvirt, fewer hosts with unknown usability, not deprecated, canonical
// over alias, name; (not fitting) fewest lacking features, then name.
func rankCandidates(cat *cpumodels.Catalog, names *featnames.Table, hosts []Host, common map[string]bool, inst *Host) []Candidate {
	commonList := setList(common)
	sets := hostSets(hosts)
	cls := newClassifier(inst, names, cat)
	var out []Candidate
	for _, name := range cat.ModelNames() {
		m := cat.Models[name]
		if !m.HasFeature("lm") {
			continue // 32-bit model: never recommended
		}
		c := Candidate{Model: m.Name, Vendor: m.Vendor, AliasOf: m.AliasOf}
		bl := blockers(m, hosts, sets)
		lacking := map[string]bool{}
		for _, fs := range bl {
			for _, f := range fs {
				lacking[f] = true
			}
		}
		usable := 0
		for _, h := range hosts {
			u, ok := libvirtModel(h, m.Name)
			switch {
			case !ok || (u.Usable != "yes" && u.Usable != "no"):
				c.UsableUnknown++
			case u.Usable == "no":
				c.NotUsableOn = append(c.NotUsableOn, h.Name)
			default:
				usable++
			}
			if ok && u.Deprecated {
				c.Deprecated = true
			}
		}
		sort.Strings(c.NotUsableOn)
		c.Fits = len(bl) == 0
		if !c.Fits {
			c.Blockers = bl
		}
		c.Versioned = !m.DecodeGuest
		c.Lacking = setList(lacking)
		c.UsableEverywhere = len(c.NotUsableOn) == 0 && c.UsableUnknown == 0
		for _, f := range commonList {
			if !m.HasFeature(f) && cls.classify(f) == nil {
				c.ExtraCount++
			}
		}
		c.Reason = candidateReason(c, len(hosts))
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return candidateLess(out[i], out[j]) })
	return out
}

func candidateLess(a, b Candidate) bool {
	if a.Fits != b.Fits {
		return a.Fits
	}
	if !a.Fits {
		if len(a.Lacking) != len(b.Lacking) {
			return len(a.Lacking) < len(b.Lacking)
		}
		return a.Model < b.Model
	}
	if a.UsableEverywhere != b.UsableEverywhere {
		return a.UsableEverywhere
	}
	// A versioned model (x86_X-vN) that some host's libvirt did not vouch
	// for may be unknown to it (libvirt before 10.x has none), and an
	// unknown model stops nova-compute; extra flags cost nothing.
	if ra, rb := versionRisk(a), versionRisk(b); ra != rb {
		return !ra
	}
	if a.ExtraCount != b.ExtraCount {
		return a.ExtraCount < b.ExtraCount
	}
	if a.UsableUnknown != b.UsableUnknown {
		return a.UsableUnknown < b.UsableUnknown
	}
	if a.Deprecated != b.Deprecated {
		return !a.Deprecated
	}
	if a.Versioned != b.Versioned {
		return !a.Versioned
	}
	if (a.AliasOf == "") != (b.AliasOf == "") {
		return a.AliasOf == ""
	}
	return a.Model < b.Model
}

func versionRisk(c Candidate) bool { return c.Versioned && c.UsableUnknown > 0 }

func candidateReason(c Candidate, nHosts int) string {
	if !c.Fits {
		return fmt.Sprintf("not every host offers its features: lacking %s", strings.Join(c.Lacking, ", "))
	}
	s := fmt.Sprintf("all its features are on every host; leaves %d extra flags", c.ExtraCount)
	switch {
	case c.UsableEverywhere:
		s += fmt.Sprintf("; libvirt reports it usable on all %d hosts", nHosts)
	case c.UsableUnknown == nHosts:
		s += "; no host's libvirt reported its usability"
	default:
		s += fmt.Sprintf("; libvirt usability unknown on %d of %d hosts", c.UsableUnknown, nHosts)
	}
	if c.Deprecated {
		s += "; deprecated by libvirt"
	}
	if c.AliasOf != "" {
		s += "; alias of " + c.AliasOf
	} else if c.Versioned {
		s += "; a versioned model (libvirt decodes no guest CPU as it; older libvirt lacks it)"
	}
	return s
}

func pickCandidates(all []Candidate, n int) []Candidate {
	if n <= 0 {
		n = DefaultCandidates
	}
	var fit, nofit []Candidate
	for _, c := range all {
		if c.Fits && len(fit) < n {
			fit = append(fit, c)
		}
		if !c.Fits && len(nofit) < n {
			nofit = append(nofit, c)
		}
	}
	return append(fit, nofit...)
}

func noneReason(cands []Candidate) string {
	if len(cands) == 0 {
		return "the catalog has no x86-64 model"
	}
	c := cands[0]
	return fmt.Sprintf("the closest, %s, needs %s", c.Model, strings.Join(c.Lacking, ", "))
}

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

func hostSets(hosts []Host) []map[string]bool {
	out := make([]map[string]bool, len(hosts))
	for i, h := range hosts {
		out[i] = toSet(h.Features)
	}
	return out
}

// linuxArtifacts fills Groups, SourceToTarget, FinalCommon, ExcludedLinux
// and the brief's files.
func (r *Result) linuxArtifacts(a *Accumulator, req Request, names *featnames.Table) {
	r.Groups = a.groupLinux()
	order := orderGroups(r.Groups, req.Groups)
	files := map[string][]string{}
	if req.Instance != nil {
		files["instance.flags-lscpu.sorted"] = normalize(req.Instance.LinuxFlags)
	}
	var srcIdx, tgtIdx []int
	for i, h := range a.hosts {
		g := h.Group
		if g == "" {
			g = h.Name
		}
		if len(order) > 0 && g == order[0] {
			srcIdx = append(srcIdx, i)
		} else {
			tgtIdx = append(tgtIdx, i)
		}
	}
	files["source.flags-lscpu.sorted"] = a.intersectLinux(srcIdx)
	if len(tgtIdx) > 0 {
		files["target.flags-lscpu.sorted"] = a.intersectLinux(tgtIdx)
	}
	r.SourceToTarget = a.CommonLinux()
	files["source-to-target.common.flags.list"] = r.SourceToTarget
	final := r.SourceToTarget
	if req.Instance != nil {
		final = minus(r.SourceToTarget, toSet(req.Instance.LinuxFlags))
	}
	r.FinalCommon = final
	files["final-common.flags.list"] = final
	r.Artifacts = Artifacts{Files: files, SourceGroup: firstOr(order), TargetGroups: rest(order)}

	vendor := ""
	if len(r.Vendors) == 1 && r.Vendors[0] != "unknown" {
		vendor = r.Vendors[0]
	}
	for _, e := range names.Translate(r.SourceToTarget, vendor).Excluded {
		r.ExcludedLinux[e.Flag] = e
	}
}

func orderGroups(groups map[string]GroupFlags, want []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range want {
		if _, ok := groups[g]; ok && !seen[g] {
			out = append(out, g)
			seen[g] = true
		}
	}
	var restG []string
	for g := range groups {
		if !seen[g] {
			restG = append(restG, g)
		}
	}
	sort.Strings(restG)
	return append(out, restG...)
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func rest(s []string) []string {
	if len(s) < 2 {
		return nil
	}
	return slices.Clone(s[1:])
}

// Vendor-specific speculation-control features: same names, different
// meaning or source per vendor (see the package documentation).
var vendorSpecific = map[string]string{
	"spec-ctrl": "Intel IA32_SPEC_CTRL (CPUID 7.EDX[26]); KVM synthesizes it on AMD hosts that have ibpb+ibrs",
	"stibp":     "Intel STIBP (CPUID 7.EDX[27]); AMD's is amd-stibp",
	"ssbd":      "Intel SSBD (CPUID 7.EDX[31]); AMD uses amd-ssbd or virt-ssbd",
	"ibpb":      "AMD IBPB (CPUID 0x80000008 EBX[12]); on Intel the same barrier is part of spec-ctrl",
	"ibrs":      "AMD IBRS (CPUID 0x80000008 EBX[14]); on Intel it is part of spec-ctrl",
	"amd-ssbd":  "AMD SSBD (CPUID 0x80000008 EBX[24]); KVM offers it on Intel hosts with SSBD",
	"amd-stibp": "AMD STIBP (CPUID 0x80000008 EBX[15])",
	"virt-ssbd": "AMD VIRT_SPEC_CTRL SSBD, a virtual feature KVM provides",
	"ibrs-all":  "Intel enhanced IBRS (IA32_ARCH_CAPABILITIES bit 1)",
	"auto-ibrs": "AMD Automatic IBRS (CPUID 0x80000021 EAX[8])",
}

func (r *Result) warn(hosts []Host, model *cpumodels.Model, req Request, names *featnames.Table) {
	if len(r.ModelBlockers) > 0 {
		var hs []string
		for h := range r.ModelBlockers {
			hs = append(hs, h)
		}
		sort.Strings(hs)
		for _, h := range hs {
			r.Warnings = append(r.Warnings, fmt.Sprintf("base model %s cannot run on %s (lacking %s): nova-compute would refuse to start there with cpu_models = %s",
				r.Model, h, strings.Join(r.ModelBlockers[h], ", "), r.Model))
		}
	}
	var cpuinfoHosts []string
	views := map[string]bool{}
	for _, h := range hosts {
		views[h.View] = true
		if h.View != ViewLibvirt {
			cpuinfoHosts = append(cpuinfoHosts, h.Name)
		}
	}
	if len(cpuinfoHosts) > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d host(s) (%s) were described by /proc/cpuinfo or lscpu, not libvirt: MSR features (arch-capabilities bits such as mds-no, rdctl-no) and vmx-* controls are not visible there, and features KVM cannot give guests are not removed; gather facts with libvirt for an exact result",
			len(cpuinfoHosts), strings.Join(cpuinfoHosts, ", ")))
	}
	if views[ViewLibvirt] && len(cpuinfoHosts) > 0 {
		r.Warnings = append(r.Warnings, "hosts use different views (libvirt and cpuinfo): features only the libvirt view can show count as lacking on the cpuinfo hosts")
	}
	if r.MixedVendor {
		r.Warnings = append(r.Warnings, fmt.Sprintf("mixed vendors (%s): libvirt's cpu-baseline refuses to compute one baseline; under KVM, QEMU gives guests the host's own CPUID vendor string, not the model's, so a guest live-migrated across vendors keeps the vendor-specific code paths its kernel chose at boot on a CPU of the other vendor: test such migrations with your guest images, or keep vendors in separate host aggregates", strings.Join(r.Vendors, ", ")))
		for _, f := range r.ExtraFlags {
			if d, ok := vendorSpecific[f]; ok {
				r.Warnings = append(r.Warnings, fmt.Sprintf("extra flag %s is vendor-specific (%s): on the other vendor's hosts KVM emulates it; test the mitigation inside guests on both vendors", f, d))
			}
		}
	}
	if req.Instance != nil && model != nil {
		var beyond []string
		for _, f := range r.InstanceFlags {
			if !model.HasFeature(f) {
				beyond = append(beyond, f)
			}
		}
		if len(beyond) > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("the test instance shows %s, which base model %s does not contain; they were left out of the extra flags as the brief's step 6 does, so guests will not get them unless the instance's CPU came from this model's defaults: if the instance ran another model, omit it", strings.Join(beyond, ", "), model.Name))
		}
	}
	if model != nil && r.ModelSource == ModelRequested && len(r.Candidates) > 0 && r.Candidates[0].Fits && r.Candidates[0].Model != model.Name && len(r.ModelBlockers) == 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s also fits every host and leaves %d extra flags (%s leaves %d)", r.Candidates[0].Model, r.Candidates[0].ExtraCount, model.Name, len(r.ExtraFlags)))
	}
	for _, f := range r.ExtraFlags {
		if f == "vmx" || f == "svm" {
			r.Warnings = append(r.Warnings, fmt.Sprintf("extra flag %s enables nested virtualization: guests that run their own VMs migrate only between hosts with identical %s capabilities (vmx-* controls); drop it from cpu_model_extra_flags if nested guests are not wanted", f, f))
		}
	}
	if model != nil && !model.DecodeGuest {
		alt := ""
		for _, c := range r.Candidates {
			if c.Fits && !c.Versioned && c.AliasOf == "" {
				alt = fmt.Sprintf("; %s is the best non-versioned model (%d extra flags)", c.Model, c.ExtraCount)
				break
			}
		}
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s is a versioned model that libvirt releases before 10.x (e.g. 9.0) do not define; nova-compute refuses to start when cpu_models names a model its libvirt lacks: check `virsh cpu-models x86_64` on every hypervisor%s", model.Name, alt))
	}
	_ = names
}

func (r *Result) explain(hosts []Host, model *cpumodels.Model, cands []Candidate) {
	e := &r.Explanation
	add := func(format string, args ...any) { *e = append(*e, fmt.Sprintf(format, args...)) }
	add("%d host(s) of vendor(s) %s share %d features (libvirt names, exact intersection of each host's trusted view); %d features are on some hosts but not all.",
		len(hosts), strings.Join(r.Vendors, ", "), len(r.Common), len(r.Missing))
	switch {
	case model == nil:
		add("No CPU model fits every host; see the warnings.")
	case r.ModelSource == ModelRequested:
		if len(r.ModelBlockers) == 0 {
			add("Base model %s (named by the operator) runs on every host.", r.Model)
		} else {
			add("Base model %s (named by the operator) is blocked on %d host(s): nova-compute would refuse to start there.", r.Model, len(r.ModelBlockers))
		}
	default:
		c := cands[0]
		add("Recommended base model %s: %s.", c.Model, c.Reason)
		for _, o := range cands[1:] {
			if o.Fits {
				add("Runner-up %s: %s.", o.Model, o.Reason)
				break
			}
		}
		for _, o := range cands {
			if !o.Fits {
				add("Closest model that does not fit, %s: %s.", o.Model, o.Reason)
				break
			}
		}
	}
	if model != nil {
		add("Extra flags = common features − %s's features%s − excluded: %d flags; %d common features excluded, each with its reason.",
			r.Model, map[bool]string{true: " − the test instance's features", false: ""}[len(r.InstanceFlags) > 0 || r.Artifacts.Files["instance.flags-lscpu.sorted"] != nil], len(r.ExtraFlags), len(r.Excluded))
	}
	add("Linux flag lists: %d flags common to all hosts (exact intersection), %d after removing the test instance's flags; %d of the common Linux flags have no libvirt feature for a guest and never go into nova.conf.",
		len(r.SourceToTarget), len(r.FinalCommon), len(r.ExcludedLinux))
}

// closest returns up to n names nearest to want (case-insensitive edit
// distance, ties by name).
func closest(want string, names []string, n int) []string {
	type scored struct {
		name string
		d    int
	}
	w := strings.ToLower(want)
	var s []scored
	for _, nm := range names {
		l := strings.ToLower(nm)
		d := editdist.Distance(w, l)
		if strings.Contains(l, w) || strings.Contains(w, l) {
			d -= len(w) // substring matches first
		}
		s = append(s, scored{nm, d})
	}
	sort.Slice(s, func(i, j int) bool {
		if s[i].d != s[j].d {
			return s[i].d < s[j].d
		}
		return s[i].name < s[j].name
	})
	var out []string
	for i := 0; i < len(s) && i < n; i++ {
		out = append(out, s[i].name)
	}
	return out
}

func toSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

func setList(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func minus(s []string, drop map[string]bool) []string {
	out := []string{}
	for _, x := range s {
		if !drop[x] {
			out = append(out, x)
		}
	}
	return out
}
