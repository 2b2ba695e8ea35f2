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
	// Blocked lists the classes the base model cannot run on;
	// BlockedHosts counts their hosts.
	Blocked      []classFeatures
	BlockedHosts int
	// Missing lists the features not on every host, by name.
	Missing []featureClasses
	// Excluded and ExcludedLinux are the exclusions sorted by flag.
	Excluded      []featnames.Exclusion
	ExcludedLinux []featnames.Exclusion
	// Candidates are the ranked candidates with their notes; Rejected the
	// better models some class cannot run (Result.Rejected).
	Candidates []candidate
	Rejected   []candidate
	// Artifacts are the brief's files, by name.
	Artifacts []artifact
	// Targets are the first target groups named (hosts without a group are
	// groups of their own), MoreTargets how many others there are.
	Targets     []string
	MoreTargets int
	// Classes are the matrix's columns, one per host class.
	Classes []column
	// Lacking are the matrix rows of features some class lacks, Common the
	// rows of features every host has.
	Lacking []row
	Common  []row
}

// shownMembers is how many member names a class lists before "and N more"
// in the Markdown report (the HTML report lists all, collapsed).
const shownMembers = 8

type classFeatures struct {
	Class    column
	Features []string
}

type featureClasses struct {
	Feature string
	Classes []string
	Hosts   int
	Model   bool
}

type candidate struct {
	baseline.Candidate
	Rank     int
	Chosen   bool
	Notes    []string
	Blockers []classFeatures
	// BlockedHosts counts the hosts of the blocking classes.
	BlockedHosts int
}

type artifact struct {
	Name  string
	Lines int
}

type column struct {
	baseline.HostClass
	// CPU is ModelName shortened for a column header.
	CPU string
	// LackCount is how many features of the matrix the class lacks.
	LackCount int
	// Blocked is true when the base model cannot run on the class.
	Blocked bool
	// VendorClass is a CSS class for the vendor.
	VendorClass string
	// Shown are the first member names; More counts the others.
	Shown []string
	More  int
}

type row struct {
	Feature  string
	Model    bool
	Extra    bool
	Instance bool
	Excluded *featnames.Exclusion
	// LackCount is how many hosts lack the feature, LackClasses in how
	// many classes.
	LackCount   int
	LackClasses int
	// Cells are the classes' cells, in column order: true when the class has it.
	Cells []cell
}

type cell struct {
	Have bool
	// Blocker is true for a model feature the class lacks.
	Blocker bool
}

func newView(r *baseline.Result) *view {
	if r == nil {
		r = &baseline.Result{}
	}
	v := &view{R: r}
	modelFeat := set(r.ModelFeatures)
	cols := map[string]column{}
	for _, c := range r.Classes {
		col := column{HostClass: c, CPU: shortCPU(c.ModelName), LackCount: len(c.Lacks), Blocked: len(c.Blocked) > 0,
			VendorClass: vendorClass(c.Vendor), Shown: c.Members}
		if len(col.Shown) > shownMembers {
			col.Shown, col.More = c.Members[:shownMembers], len(c.Members)-shownMembers
		}
		cols[c.ID] = col
		v.Classes = append(v.Classes, col)
		if col.Blocked {
			v.Blocked = append(v.Blocked, classFeatures{Class: col, Features: c.Blocked})
			v.BlockedHosts += c.Count
		}
	}
	for _, f := range sortedKeys(r.MissingClasses) {
		fc := featureClasses{Feature: f, Classes: r.MissingClasses[f], Model: modelFeat[f]}
		for _, id := range fc.Classes {
			fc.Hosts += cols[id].Count
		}
		v.Missing = append(v.Missing, fc)
	}
	for _, f := range sortedKeys(r.Excluded) {
		v.Excluded = append(v.Excluded, exclusion(f, r.Excluded[f]))
	}
	for _, f := range sortedKeys(r.ExcludedLinux) {
		v.ExcludedLinux = append(v.ExcludedLinux, exclusion(f, r.ExcludedLinux[f]))
	}
	v.Targets = r.Artifacts.TargetGroups
	if len(v.Targets) > shownMembers {
		v.Targets, v.MoreTargets = v.Targets[:shownMembers], len(v.Targets)-shownMembers
	}
	for _, f := range sortedKeys(r.Artifacts.Files) {
		v.Artifacts = append(v.Artifacts, artifact{Name: f, Lines: len(r.Artifacts.Files[f])})
	}
	for i, c := range r.Candidates {
		cv := candidate{Candidate: c, Rank: i + 1, Chosen: c.Model == r.Model && r.Model != ""}
		ids := sortedKeys(c.BlockedClasses)
		sort.Slice(ids, func(i, j int) bool { return classIDLess(ids[i], ids[j]) })
		for _, id := range ids {
			cv.Blockers = append(cv.Blockers, classFeatures{Class: cols[id], Features: c.BlockedClasses[id]})
			cv.BlockedHosts += cols[id].Count
		}
		if c.Deprecated {
			cv.Notes = append(cv.Notes, "deprecated")
		}
		if c.Versioned {
			cv.Notes = append(cv.Notes, "versioned (libvirt ≥ "+baseline.VersionedModelsSince+")")
		}
		if c.AliasOf != "" {
			cv.Notes = append(cv.Notes, "alias of "+c.AliasOf)
		}
		if len(c.NotUsableIn) > 0 {
			cv.Notes = append(cv.Notes, "libvirt: not usable in class "+strings.Join(c.NotUsableIn, ", "))
		}
		v.Candidates = append(v.Candidates, cv)
	}
	for _, c := range r.Rejected {
		cv := candidate{Candidate: c}
		ids := sortedKeys(c.BlockedClasses)
		sort.Slice(ids, func(i, j int) bool { return classIDLess(ids[i], ids[j]) })
		for _, id := range ids {
			cv.Blockers = append(cv.Blockers, classFeatures{Class: cols[id], Features: c.BlockedClasses[id]})
			cv.BlockedHosts += cols[id].Count
		}
		v.Rejected = append(v.Rejected, cv)
	}
	v.ModelWhy = modelWhy(r, v.Candidates)
	v.matrix(r, modelFeat)
	return v
}

func classIDLess(x, y string) bool {
	if len(x) != len(y) {
		return len(x) < len(y)
	}
	return x < y
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

// matrix builds the class × feature matrix: columns are the host classes in
// ID order, rows the features any host has; the rows some class lacks come
// first (model blockers first, then fewest hosts lacking, then name), the
// common rows after them by name.
func (v *view) matrix(r *baseline.Result, modelFeat map[string]bool) {
	lacks := map[string]map[string]bool{} // class -> features it lacks
	for f, ids := range r.MissingClasses {
		for _, id := range ids {
			if lacks[id] == nil {
				lacks[id] = map[string]bool{}
			}
			lacks[id][f] = true
		}
	}
	extra := set(r.ExtraFlags)
	inst := set(r.InstanceFlags)
	mk := func(f string) row {
		rw := row{Feature: f, Model: modelFeat[f], Extra: extra[f], Instance: inst[f], Cells: make([]cell, len(v.Classes))}
		if e, ok := r.Excluded[f]; ok {
			e = exclusion(f, e)
			rw.Excluded = &e
		}
		for i, c := range v.Classes {
			have := !lacks[c.ID][f]
			rw.Cells[i] = cell{Have: have, Blocker: !have && rw.Model}
			if !have {
				rw.LackCount += c.Count
				rw.LackClasses++
			}
		}
		return rw
	}
	for f := range r.MissingClasses {
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
		if _, dup := r.MissingClasses[f]; dup || seen[f] {
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
