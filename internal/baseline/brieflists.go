package baseline

import (
	"slices"
	"sort"

	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// linuxArtifacts fills Groups, SourceToTarget, FinalCommon, ExcludedLinux
// and the brief's files.
func (r *Result) linuxArtifacts(a *Accumulator, req Request, names *featnames.Table) {
	r.Groups = a.groupLinux()
	// A host without a group is a group of its own for the brief's files.
	keys := make(map[string]bool, len(r.Groups))
	for g := range r.Groups {
		keys[g] = true
	}
	for _, h := range a.hosts {
		if h.Group == "" {
			keys[h.Name] = true
		}
	}
	order := orderGroups(keys, req.Groups)
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

func orderGroups(groups map[string]bool, want []string) []string {
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
