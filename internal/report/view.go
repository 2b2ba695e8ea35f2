package report

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// view is what the templates render: the Result plus everything derived
// from it (sorted lists, the matrix), so the templates hold no logic.
type view struct {
	R *baseline.Result
	// ModelWhy says why the base model was chosen.
	ModelWhy string
	// Blocked lists the hosts the base model cannot run on, by name.
	Blocked []hostFeatures
	// Missing lists the features not on every host, by name.
	Missing []featureHosts
	// Excluded and ExcludedLinux are the exclusions sorted by flag.
	Excluded      []featnames.Exclusion
	ExcludedLinux []featnames.Exclusion
	// Candidates are the ranked candidates with their notes.
	Candidates []candidate
	// Artifacts are the brief's files, by name.
	Artifacts []artifact
	// Groups are the matrix's column groups, HostCount its columns.
	Groups    []group
	HostCount int
	// Lacking are the matrix rows of features some host lacks, Common the
	// rows of features every host has.
	Lacking []row
	Common  []row
}

type hostFeatures struct {
	Host     string
	Features []string
}

type featureHosts struct {
	Feature string
	Hosts   []string
	Model   bool
}

type candidate struct {
	baseline.Candidate
	Rank     int
	Chosen   bool
	Notes    []string
	Blockers []hostFeatures
}

type artifact struct {
	Name  string
	Lines int
}

type group struct {
	Name  string
	Hosts []column
}

type column struct {
	baseline.HostSummary
	// CPU is ModelName shortened for a column header.
	CPU string
	// Lacks is how many features of the matrix the host lacks.
	Lacks int
	// Blocked is true when the base model cannot run on the host.
	Blocked bool
	// VendorClass is a CSS class for the vendor.
	VendorClass string
	// GS is true for the first host of a group (a column separator).
	GS bool
}

type row struct {
	Feature  string
	Model    bool
	Extra    bool
	Instance bool
	Excluded *featnames.Exclusion
	// LackCount is how many hosts lack the feature.
	LackCount int
	// Cells are the hosts' cells, in column order: true when the host has it.
	Cells []cell
}

type cell struct {
	Have bool
	// Blocker is true for a model feature the host lacks.
	Blocker bool
	// GS is true in the first column of a group.
	GS bool
}

func newView(r *baseline.Result) *view {
	if r == nil {
		r = &baseline.Result{}
	}
	v := &view{R: r}
	modelFeat := set(r.ModelFeatures)

	for _, h := range sortedKeys(r.ModelBlockers) {
		v.Blocked = append(v.Blocked, hostFeatures{Host: h, Features: r.ModelBlockers[h]})
	}
	for _, f := range sortedKeys(r.Missing) {
		v.Missing = append(v.Missing, featureHosts{Feature: f, Hosts: r.Missing[f], Model: modelFeat[f]})
	}
	for _, f := range sortedKeys(r.Excluded) {
		v.Excluded = append(v.Excluded, exclusion(f, r.Excluded[f]))
	}
	for _, f := range sortedKeys(r.ExcludedLinux) {
		v.ExcludedLinux = append(v.ExcludedLinux, exclusion(f, r.ExcludedLinux[f]))
	}
	for _, f := range sortedKeys(r.Artifacts.Files) {
		v.Artifacts = append(v.Artifacts, artifact{Name: f, Lines: len(r.Artifacts.Files[f])})
	}
	for i, c := range r.Candidates {
		cv := candidate{Candidate: c, Rank: i + 1, Chosen: c.Model == r.Model && r.Model != ""}
		for _, h := range sortedKeys(c.Blockers) {
			cv.Blockers = append(cv.Blockers, hostFeatures{Host: h, Features: c.Blockers[h]})
		}
		if c.Deprecated {
			cv.Notes = append(cv.Notes, "deprecated")
		}
		if c.Versioned {
			cv.Notes = append(cv.Notes, "versioned (libvirt ≥ 10)")
		}
		if c.AliasOf != "" {
			cv.Notes = append(cv.Notes, "alias of "+c.AliasOf)
		}
		if len(c.NotUsableOn) > 0 {
			cv.Notes = append(cv.Notes, "libvirt: not usable on "+strings.Join(c.NotUsableOn, ", "))
		}
		v.Candidates = append(v.Candidates, cv)
	}
	v.ModelWhy = modelWhy(r, v.Candidates)
	v.matrix(r, modelFeat)
	return v
}

func exclusion(key string, e featnames.Exclusion) featnames.Exclusion {
	if e.Flag == "" {
		e.Flag = key
	}
	return e
}

// modelWhy says in one phrase why Result.Model is the base model.
func modelWhy(r *baseline.Result, cands []candidate) string {
	switch {
	case r.Model == "":
		return "no CPU model of the catalog runs on every host (see the warnings)"
	case r.ModelSource == baseline.ModelRequested && len(r.ModelBlockers) > 0:
		return "requested by the operator; it cannot run on every host (see the model blockers)"
	case r.ModelSource == baseline.ModelRequested:
		return "requested by the operator; it runs on every host"
	}
	for _, c := range cands {
		if c.Chosen && c.Reason != "" {
			return "best-ranked catalog model: " + c.Reason
		}
	}
	return "best-ranked catalog model"
}

// matrix builds the host × feature matrix: columns are the hosts grouped by
// inventory group (source group, target groups, other groups by name, hosts
// without a group last), rows the features any host has; the rows some host
// lacks come first (model blockers first, then fewest hosts lacking, then
// name), the common rows after them by name.
func (v *view) matrix(r *baseline.Result, modelFeat map[string]bool) {
	order := map[string]int{r.Artifacts.SourceGroup: 0}
	for i, g := range r.Artifacts.TargetGroups {
		if _, ok := order[g]; !ok {
			order[g] = i + 1
		}
	}
	byGroup := map[string][]baseline.HostSummary{}
	var names []string
	for _, h := range r.Hosts {
		if _, ok := byGroup[h.Group]; !ok {
			names = append(names, h.Group)
		}
		byGroup[h.Group] = append(byGroup[h.Group], h)
	}
	rank := func(g string) int {
		if o, ok := order[g]; ok && g != "" {
			return o
		}
		if g == "" {
			return 1 << 30
		}
		return 1 << 20
	}
	sort.SliceStable(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})

	lacks := map[string]map[string]bool{} // host -> features it lacks
	for f, hs := range r.Missing {
		for _, h := range hs {
			if lacks[h] == nil {
				lacks[h] = map[string]bool{}
			}
			lacks[h][f] = true
		}
	}
	var cols []column
	for _, g := range names {
		grp := group{Name: g}
		for i, h := range byGroup[g] {
			c := column{HostSummary: h, CPU: shortCPU(h.ModelName), Lacks: len(lacks[h.Name]),
				Blocked: len(r.ModelBlockers[h.Name]) > 0, VendorClass: vendorClass(h.Vendor), GS: i == 0}
			grp.Hosts = append(grp.Hosts, c)
			cols = append(cols, c)
		}
		v.Groups = append(v.Groups, grp)
	}
	v.HostCount = len(cols)

	extra := set(r.ExtraFlags)
	inst := set(r.InstanceFlags)
	mk := func(f string) row {
		rw := row{Feature: f, Model: modelFeat[f], Extra: extra[f], Instance: inst[f], Cells: make([]cell, len(cols))}
		if e, ok := r.Excluded[f]; ok {
			e = exclusion(f, e)
			rw.Excluded = &e
		}
		for i, c := range cols {
			have := !lacks[c.Name][f]
			rw.Cells[i] = cell{Have: have, Blocker: !have && rw.Model, GS: c.GS}
			if !have {
				rw.LackCount++
			}
		}
		return rw
	}
	for f := range r.Missing {
		v.Lacking = append(v.Lacking, mk(f))
	}
	sort.Slice(v.Lacking, func(i, j int) bool {
		a, b := v.Lacking[i], v.Lacking[j]
		if a.Model != b.Model {
			return a.Model
		}
		if a.LackCount != b.LackCount {
			return a.LackCount < b.LackCount
		}
		return a.Feature < b.Feature
	})
	seen := set(nil)
	for _, f := range slices.Sorted(slices.Values(r.Common)) {
		if _, dup := r.Missing[f]; dup || seen[f] {
			continue
		}
		seen[f] = true
		v.Common = append(v.Common, mk(f))
	}
}

var (
	cpuNoise  = regexp.MustCompile(`(?i)\((R|TM|C)\)|\bCPU\b|\bProcessor\b|@\s*[0-9.]+\s*GHz|\b[0-9]+-Core\b`)
	cpuSpaces = regexp.MustCompile(`\s+`)
)

// shortCPU shortens a CPU model name for a column header:
// "Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz" → "Intel Xeon E5-2690 v4".
func shortCPU(s string) string {
	return strings.TrimSpace(cpuSpaces.ReplaceAllString(cpuNoise.ReplaceAllString(s, " "), " "))
}

// vendorClass is the CSS class of a vendor's header chip.
func vendorClass(v string) string {
	switch strings.ToLower(v) {
	case "amd", "authenticamd":
		return "amd"
	case "intel", "genuineintel":
		return "intel"
	}
	return "other"
}

func set(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[s] = true
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
