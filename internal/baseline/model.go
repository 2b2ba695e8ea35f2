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
