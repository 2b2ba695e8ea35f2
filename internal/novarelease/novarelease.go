// Package novarelease knows which nova.conf CPU options each OpenStack Nova
// release accepts. Every rule is tied to the Nova commit that introduced it
// (first release found with `git tag --contains` in openstack/nova):
//
//   - cpu_model_extra_flags beyond "pcid": Rocky, 18.0.0 (cc27a2007f lifted
//     the choices=['pcid'] restriction of 6b601b7cf6);
//   - the cpu_models list, with cpu_model as its deprecated name: Train,
//     20.0.0 (f80e5f989d "vCPU model selection");
//   - "+flag" / "-flag" in cpu_model_extra_flags (-flag = policy='disable'):
//     Wallaby, 23.0.0 (bcd6b42047; not in any 22.x Victoria tag). Earlier
//     releases pass the prefix into the feature name, which libvirt rejects;
//   - compareHypervisorCPU instead of compareCPU at start-up: 2023.1,
//     27.0.0 (468b03e0ee).
package novarelease

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Release is one Nova release, identified by its major version (the first
// component of the Nova package version: 26.2.0 is Zed, 27 is 2023.1).
type Release struct {
	Major int
}

// Capability thresholds (major versions, see the package documentation).
const (
	MajorRocky    = 18
	MajorTrain    = 20
	MajorVictoria = 22
	MajorWallaby  = 23
	Major2023_1   = 27
)

// names maps each major version to its series name(s): the code name and,
// from 2023.1, the year-based name Nova's own release notes use.
var names = map[int][]string{
	13: {"mitaka"}, 14: {"newton"}, 15: {"ocata"}, 16: {"pike"}, 17: {"queens"},
	18: {"rocky"}, 19: {"stein"}, 20: {"train"}, 21: {"ussuri"}, 22: {"victoria"},
	23: {"wallaby"}, 24: {"xena"}, 25: {"yoga"}, 26: {"zed"},
	27: {"2023.1", "antelope"}, 28: {"2023.2", "bobcat"}, 29: {"2024.1", "caracal"},
	30: {"2024.2", "dalmatian"}, 31: {"2025.1", "epoxy"}, 32: {"2025.2", "flamingo"},
	33: {"2026.1", "gazpacho"},
}

var versionRE = regexp.MustCompile(`^(\d+)(\.\d+)*([.+~-].*)?$`)

// Parse reads a release as operators write it: a series name ("zed",
// "Wallaby", "2023.1", "antelope") or a Nova version ("26.2.0", "27"; a
// distribution suffix such as "26.2.0-1ubuntu1" is ignored).
func Parse(s string) (Release, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return Release{}, fmt.Errorf("no Nova release given")
	}
	for major, ns := range names {
		for _, n := range ns {
			if t == n {
				return Release{Major: major}, nil
			}
		}
	}
	if m := versionRE.FindStringSubmatch(t); m != nil {
		major, err := strconv.Atoi(m[1])
		if err == nil && major >= 2000 {
			// A year-based name we do not know yet (e.g. 2027.1): later than
			// every release in the table.
			return Release{Major: latestKnown() + 1}, nil
		}
		if err == nil && major >= 1 && major < 100 {
			return Release{Major: major}, nil
		}
	}
	//lint:ignore ST1005 the message starts with the project's name, Nova
	return Release{}, fmt.Errorf("Nova release %q: give a series name (e.g. zed, wallaby, 2023.1) or the Nova version (e.g. 26.2.0, the nova package's version); known series: %s", s, strings.Join(knownNames(), ", "))
}

func latestKnown() int {
	max := 0
	for m := range names {
		if m > max {
			max = m
		}
	}
	return max
}

func knownNames() []string {
	var majors []int
	for m := range names {
		majors = append(majors, m)
	}
	sort.Ints(majors)
	var out []string
	for _, m := range majors {
		out = append(out, names[m][0])
	}
	return out
}

// Name is the release's series name with its major version, e.g.
// "wallaby (23)"; releases after the table say so.
func (r Release) Name() string {
	if ns, ok := names[r.Major]; ok {
		return fmt.Sprintf("%s (%d)", ns[0], r.Major)
	}
	if r.Major > latestKnown() {
		return fmt.Sprintf("a release after %s (%d)", names[latestKnown()][0], r.Major)
	}
	return fmt.Sprintf("Nova %d", r.Major)
}

// ModelOption is the nova.conf option that names the CPU model: cpu_models
// from Train, cpu_model before (Train still reads cpu_model as a deprecated
// name, so cpu_models is written from Train on).
func (r Release) ModelOption() string {
	if r.Major >= MajorTrain {
		return "cpu_models"
	}
	return "cpu_model"
}

// FlagPrefixes reports whether cpu_model_extra_flags accepts "+flag" and
// "-flag" (Wallaby and later).
func (r Release) FlagPrefixes() bool { return r.Major >= MajorWallaby }

// AnyExtraFlags reports whether cpu_model_extra_flags accepts flags other
// than pcid (Rocky and later).
func (r Release) AnyExtraFlags() bool { return r.Major >= MajorRocky }

// ComparesHypervisorCPU reports whether nova-compute checks the configured
// CPU with compareHypervisorCPU (2023.1 and later) rather than compareCPU.
func (r Release) ComparesHypervisorCPU() bool { return r.Major >= Major2023_1 }
