package baseline

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/editdist"
	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// DefaultCandidates is how many fitting and how many non-fitting models
// Result.Candidates lists (each).
const DefaultCandidates = 5

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

// requirement is what a model needs from hosts of one view, over the
// accumulator's feature table: the required features it numbers, and the
// required features no host has (not in the table).
type requirement struct {
	need   bits
	absent []string
}

// requiredCache memoizes requirements per model and view; assumed is the
// libvirt version of hosts whose facts carry none (DefaultAssumedLibvirt
// unless the request says otherwise).
type requiredCache struct {
	a       *Accumulator
	m       map[string]requirement
	assumed string
}

func newRequiredCache(a *Accumulator, assumedLibvirt string) *requiredCache {
	if strings.TrimSpace(assumedLibvirt) == "" {
		assumedLibvirt = DefaultAssumedLibvirt
	}
	return &requiredCache{a: a, m: map[string]requirement{}, assumed: strings.TrimSpace(assumedLibvirt)}
}

func (rc *requiredCache) get(m *cpumodels.Model, view string) requirement {
	k := m.Name + "\x00" + view
	if v, ok := rc.m[k]; ok {
		return v
	}
	var r requirement
	for _, f := range required(m, Host{View: view}) {
		if i, ok := rc.a.feats.idx[f]; ok {
			r.need.set(i)
		} else {
			r.absent = append(r.absent, f)
		}
	}
	rc.m[k] = r
	return r
}

// lacks returns what class c lacks to run m: the required features it does
// not have, joined with the blockers its libvirt reported (libvirt
// usable='no' without a list gives the pseudo-feature "(libvirt: not
// usable)") and, for a model its libvirt does not define, a pseudo-feature
// saying so (from the class's model list, else from its libvirt version or
// the assumed one: versioned names need VersionedModelsSince); nil when c
// can run m.
func (rc *requiredCache) lacks(m *cpumodels.Model, c *class) []string {
	r := rc.get(m, c.view)
	lack := slices.Clone(r.absent)
	r.need.andNot(c.feat).each(func(i int) { lack = append(lack, rc.a.feats.names[i]) })
	u, ok := c.model(m.Name)
	if !ok && len(c.libvirtModels) > 0 {
		lack = append(lack, "(not defined by this host's libvirt)")
	}
	if len(c.libvirtModels) == 0 && IsVersioned(m.Name) {
		if v, reported := libvirtOf(c, rc.assumed); !LibvirtAtLeast(v, VersionedModelsSince) {
			lack = append(lack, unknownModel(v, reported))
		}
	}
	if ok && u.Usable == "no" {
		if len(u.Blockers) == 0 && len(lack) == 0 {
			lack = append(lack, "(libvirt: not usable)")
		}
		lack = append(lack, u.Blockers...)
	}
	if len(lack) == 0 {
		return nil
	}
	sort.Strings(lack)
	return slices.Compact(lack)
}

// classBlockers maps the index of every class that cannot run m to what it
// lacks.
func classBlockers(m *cpumodels.Model, a *Accumulator, rc *requiredCache) map[int][]string {
	out := map[int][]string{}
	for ci, c := range a.classes {
		if lack := rc.lacks(m, c); lack != nil {
			out[ci] = lack
		}
	}
	return out
}

// hostBlockers expands class blockers to every member host (the hosts of a
// class share one slice).
func hostBlockers(a *Accumulator, bl map[int][]string) map[string][]string {
	out := map[string][]string{}
	for ci, lack := range bl {
		for _, i := range a.classes[ci].members {
			out[a.hosts[i].Name] = lack
		}
	}
	return out
}

// model finds what the class's libvirt said about model name
// (case-insensitive).
func (c *class) model(name string) (ModelUsability, bool) {
	if len(c.libvirtModels) == 0 {
		return ModelUsability{}, false
	}
	if c.usable == nil {
		c.usable = make(map[string]int, len(c.libvirtModels))
		for i := len(c.libvirtModels) - 1; i >= 0; i-- { // the first of equal names wins
			c.usable[strings.ToLower(c.libvirtModels[i].Name)] = i
		}
	}
	i, ok := c.usable[strings.ToLower(name)]
	if !ok {
		return ModelUsability{}, false
	}
	return c.libvirtModels[i], true
}

// rankOptions say how candidates may run.
type rankOptions struct {
	// allowDisable: the target Nova accepts "-feature", so a model of the
	// cluster's one vendor may run with the features some host lacks
	// disabled.
	allowDisable bool
}

// rankCandidates evaluates every x86-64 model of the catalog, class by
// class, and sorts them as libvirt's baseline would choose (see
// libvirtchoice.go and candidateLess). Blockers are kept per class;
// pickCandidates names the classes of the candidates it shows.
func rankCandidates(cat *cpumodels.Catalog, names *featnames.Table, a *Accumulator, common map[string]bool, inst *Host, rc *requiredCache, opt rankOptions) []ranked {
	commonList := setList(common)
	cls := newClassifier(inst, names, cat)
	vendor := a.clusterVendor()
	blind := a.msrBlind()
	order := make(map[string]int, len(cat.Order))
	for i, n := range cat.Order {
		order[n] = i
	}
	var out []ranked
	for _, name := range cat.ModelNames() {
		m := cat.Models[name]
		if !m.HasFeature("lm") {
			continue // 32-bit model: never recommended
		}
		c := ranked{Candidate: Candidate{Model: m.Name, Vendor: m.Vendor, AliasOf: m.AliasOf}, order: order[m.Name]}
		bl := classBlockers(m, a, rc)
		lacking := map[string]bool{}
		for _, fs := range bl {
			for _, f := range fs {
				lacking[f] = true
			}
		}
		for ci, k := range a.classes {
			u, ok := k.model(m.Name)
			switch {
			case !ok || (u.Usable != "yes" && u.Usable != "no"):
				c.UsableUnknown += len(k.members)
			case u.Usable == "no":
				c.notUsable = append(c.notUsable, ci)
			}
			if ok && u.Deprecated {
				c.Deprecated = true
			}
		}
		c.Versioned = IsVersioned(m.Name)
		c.decodeGuest = m.DecodeGuest
		c.OtherVendor = vendor != "" && m.Vendor != "" && !strings.EqualFold(m.Vendor, vendor)
		lack := setList(lacking)
		switch {
		case len(bl) == 0:
			c.Fits = true
		case opt.allowDisable && vendor != "" && !c.OtherVendor && disableable(m, lack) && !(blind && len(msrFeatures(m)) > 0):
			// libvirt's baseline disables what the hosts lack (one vendor only).
			c.Fits, c.Disabled = true, lack
		default:
			c.Lacking, c.blocked = lack, bl
		}
		c.UsableEverywhere = len(c.notUsable) == 0 && c.UsableUnknown == 0
		added := 0
		for _, f := range commonList {
			if !m.HasFeature(f) {
				added++
				if cls.classify(f) == nil {
					c.ExtraCount++
				}
			}
		}
		for _, f := range m.Removed {
			if !common[f] {
				c.Removed = append(c.Removed, f)
			}
		}
		c.Score, c.penalty = libvirtCost(added, len(c.Disabled)+len(c.Removed))
		c.libvirtSet = opt.allowDisable && vendor != "" && !c.OtherVendor && m.DecodeGuest
		c.Reason = candidateReason(c, a.Len(), vendor)
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return rankedLess(out[i], out[j]) })
	return out
}

// ranked is a Candidate with its blockers by class index, before
// nameClasses names the classes of the candidates shown.
type ranked struct {
	Candidate
	blocked     map[int][]string
	notUsable   []int
	order       int // position in the CPU map (index.xml order)
	decodeGuest bool
	penalty     int  // libvirt's disabled penalty (libvirtCost)
	libvirtSet  bool // one libvirt's baseline considers, when it is followed (rankedLess)
}

func plain(rs []ranked) []Candidate {
	out := make([]Candidate, len(rs))
	for i, r := range rs {
		out[i] = r.Candidate
	}
	return out
}

// rankedLess orders candidates as libvirt's baseline chooses among the
// models that run (x86Decode, x86DecodeUseCandidate). When the target Nova
// can disable features and the hosts are of one vendor, libvirt's choice
// is followed: first the models libvirt considers, the hosts' vendor's and
// vendor-less ones (run whole, or with what some host lacks disabled);
// another vendor's model, which libvirt never picks, only after them.
// Otherwise (mixed vendors, which libvirt refuses to baseline, or a Nova
// before Wallaby, which cannot disable) every model that runs whole
// competes. Then, as libvirt: the lower cost (libvirtCost), the lower
// disabled penalty. Where libvirt is indifferent: usable everywhere per
// libvirt, fewer hosts of unknown usability, not deprecated, a canonical
// name over an alias, a model libvirt decodes guests as over one it does
// not (decode guest='off', which libvirt's baseline skips but a domain may
// name); then the newer model (later in the CPU map: libvirt walks it
// newest first and keeps the first of equal cost). Models that do not run
// come after, fewest lacking features first, those some host's libvirt
// does not define last.
func rankedLess(a, b ranked) bool {
	if a.Fits != b.Fits {
		return a.Fits
	}
	if !a.Fits {
		// A model some host's libvirt does not define (a pseudo-feature
		// says so) comes after the models that lack only features.
		if pa, pb := slices.ContainsFunc(a.Lacking, pseudo), slices.ContainsFunc(b.Lacking, pseudo); pa != pb {
			return pb
		}
		if len(a.Lacking) != len(b.Lacking) {
			return len(a.Lacking) < len(b.Lacking)
		}
		return a.Model < b.Model
	}
	if a.libvirtSet != b.libvirtSet {
		return a.libvirtSet
	}
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	if a.penalty != b.penalty {
		return a.penalty < b.penalty
	}
	if a.UsableEverywhere != b.UsableEverywhere {
		return a.UsableEverywhere
	}
	if a.UsableUnknown != b.UsableUnknown {
		return a.UsableUnknown < b.UsableUnknown
	}
	if a.Deprecated != b.Deprecated {
		return !a.Deprecated
	}
	if (a.AliasOf == "") != (b.AliasOf == "") {
		return a.AliasOf == ""
	}
	if a.decodeGuest != b.decodeGuest {
		return a.decodeGuest
	}
	if a.order != b.order {
		return a.order > b.order
	}
	return a.Model < b.Model
}

func candidateReason(c ranked, nHosts int, vendor string) string {
	if !c.Fits {
		return fmt.Sprintf("not every host offers its features: lacking %s", strings.Join(c.Lacking, ", "))
	}
	var s string
	if len(c.Disabled) > 0 {
		s = fmt.Sprintf("runs on every host with %s disabled", strings.Join(c.Disabled, ", "))
	} else {
		s = "all its features are on every host"
	}
	s += fmt.Sprintf("; leaves %d extra flags; libvirt's cost %d", c.ExtraCount, c.Score)
	if len(c.Removed) > 0 {
		s += fmt.Sprintf(" (libvirt disables %s itself: removed from the model)", strings.Join(c.Removed, ", "))
	}
	if c.OtherVendor {
		s += fmt.Sprintf("; a model of another vendor than the hosts' (%s), which libvirt's baseline never picks", vendor)
	}
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
		s += "; a versioned model (libvirt " + VersionedModelsSince + " and later define it)"
	}
	if !c.decodeGuest && c.AliasOf == "" {
		s += "; libvirt never decodes a guest CPU as it (decode guest='off'), but a domain may name it"
	}
	return s
}

// pickCandidates keeps the n best fitting and n best non-fitting
// candidates and names, for those only, the classes that block them or on
// which libvirt reports them not usable.
func pickCandidates(all []ranked, n int, ids []string) []Candidate {
	if n <= 0 {
		n = DefaultCandidates
	}
	var fit, nofit []ranked
	for _, c := range all {
		if c.Fits && len(fit) < n {
			fit = append(fit, c)
		}
		if !c.Fits && len(nofit) < n {
			nofit = append(nofit, c)
		}
	}
	return nameClasses(append(fit, nofit...), ids)
}

// nameClasses fills the exported, class-ID-keyed blockers of candidates.
func nameClasses(rs []ranked, ids []string) []Candidate {
	out := make([]Candidate, len(rs))
	for i, r := range rs {
		out[i] = r.Candidate
		c := &out[i]
		if len(r.blocked) > 0 {
			c.BlockedClasses = map[string][]string{}
			for ci, lack := range r.blocked {
				c.BlockedClasses[ids[ci]] = lack
			}
		}
		for _, ci := range r.notUsable {
			c.NotUsableIn = append(c.NotUsableIn, ids[ci])
		}
		sort.Slice(c.NotUsableIn, func(i, j int) bool { return classIDLess(c.NotUsableIn[i], c.NotUsableIn[j]) })
	}
	return out
}

// rejectedBetter returns the n models that would leave fewer extra flags
// than the base model (any model when there is none) but that some class
// cannot run, nearest first (fewest lacking features, then fewest extra
// flags, then name), with the classes that block them named.
func rejectedBetter(all []ranked, model string, n int, ids []string) []Candidate {
	if n <= 0 {
		n = DefaultCandidates
	}
	limit := -1
	for _, c := range all {
		if c.Model == model {
			limit = c.ExtraCount
		}
	}
	var out []ranked
	for _, c := range all {
		if !c.Fits && (limit < 0 || c.ExtraCount < limit) && c.AliasOf == "" {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if len(a.Lacking) != len(b.Lacking) {
			return len(a.Lacking) < len(b.Lacking)
		}
		if a.ExtraCount != b.ExtraCount {
			return a.ExtraCount < b.ExtraCount
		}
		return a.Model < b.Model
	})
	if len(out) > n {
		out = out[:n]
	}
	return nameClasses(out, ids)
}

func noneReason(cands []Candidate) string {
	if len(cands) == 0 {
		return "the catalog has no x86-64 model"
	}
	c := cands[0]
	return fmt.Sprintf("the closest, %s, needs %s", c.Model, strings.Join(c.Lacking, ", "))
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
