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

// requiredCache memoizes requirements per model and view.
type requiredCache struct {
	a *Accumulator
	m map[string]requirement
}

func newRequiredCache(a *Accumulator) *requiredCache {
	return &requiredCache{a: a, m: map[string]requirement{}}
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
// usable)"); nil when c can run m.
func (rc *requiredCache) lacks(m *cpumodels.Model, c *class) []string {
	r := rc.get(m, c.view)
	lack := slices.Clone(r.absent)
	r.need.andNot(c.feat).each(func(i int) { lack = append(lack, rc.a.feats.names[i]) })
	u, ok := c.model(m.Name)
	if !ok && len(c.libvirtModels) > 0 {
		lack = append(lack, "(not defined by this host's libvirt)")
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

// rankCandidates evaluates every x86-64 model of the catalog, class by
// class, and sorts them: fitting first, then (fitting) fewest extra flags,
// usable everywhere per libvirt, fewer hosts with unknown usability, not
// deprecated, canonical over alias, name; (not fitting) fewest lacking
// features, then name. Blockers are kept per class; pickCandidates names
// the classes of the candidates it shows.
func rankCandidates(cat *cpumodels.Catalog, names *featnames.Table, a *Accumulator, common map[string]bool, inst *Host, rc *requiredCache) []ranked {
	commonList := setList(common)
	cls := newClassifier(inst, names, cat)
	var out []ranked
	for _, name := range cat.ModelNames() {
		m := cat.Models[name]
		if !m.HasFeature("lm") {
			continue // 32-bit model: never recommended
		}
		c := ranked{Candidate: Candidate{Model: m.Name, Vendor: m.Vendor, AliasOf: m.AliasOf}}
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
		c.Fits = len(bl) == 0
		if !c.Fits {
			c.blocked = bl
		}
		c.Versioned = !m.DecodeGuest
		c.Lacking = setList(lacking)
		c.UsableEverywhere = len(c.notUsable) == 0 && c.UsableUnknown == 0
		for _, f := range commonList {
			if !m.HasFeature(f) && cls.classify(f) == nil {
				c.ExtraCount++
			}
		}
		c.Reason = candidateReason(c.Candidate, a.Len())
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return candidateLess(out[i].Candidate, out[j].Candidate) })
	return out
}

// ranked is a Candidate with its blockers by class index, before
// nameClasses names the classes of the candidates shown.
type ranked struct {
	Candidate
	blocked   map[int][]string
	notUsable []int
}

func plain(rs []ranked) []Candidate {
	out := make([]Candidate, len(rs))
	for i, r := range rs {
		out[i] = r.Candidate
	}
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
