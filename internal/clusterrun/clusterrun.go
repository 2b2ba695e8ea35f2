// Package clusterrun turns the facts of many hosts into the cluster baseline
// and its files. The cpu_flags_common module and `cpuflags common` share it.
package clusterrun

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/artifacts"
	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/novarelease"
	"github.com/kvm-migration/cpuflags/internal/plan"
	"github.com/kvm-migration/cpuflags/internal/report"
)

// Host is one hypervisor's facts with its inventory name and group.
type Host struct {
	Name  string
	Group string
	Facts *hostfacts.Facts
}

// Input is what the baseline is computed from.
type Input struct {
	Hosts      []Host
	Instance   *hostfacts.Facts // the test instance running the base model (optional)
	Model      string           // "" recommends one
	Groups     []string         // group order: the first is the source
	Candidates int
	// Missing maps the cluster's hosts whose facts could not be had (the
	// operator chose to go on without them) to why; every output names them.
	Missing map[string]string
	// NovaRelease is the target Nova release for the plan's nova.conf form
	// ("" assumes plan.DefaultNovaRelease). From Wallaby on, Nova accepts
	// "-feature", so a model of the hosts' one vendor may be chosen with the
	// features some host lacks disabled, as libvirt's baseline does (the
	// rollout's probe then trials the model with them disabled).
	NovaRelease string
	// LibvirtVersion is the libvirt version assumed for hosts whose facts
	// carry neither libvirt's model list nor its version ("" assumes
	// baseline.DefaultAssumedLibvirt).
	LibvirtVersion string
}

// novaRelease is the target release in: the one given, else the default.
func (in Input) novaRelease() (novarelease.Release, error) {
	given := strings.TrimSpace(in.NovaRelease)
	if given == "" {
		given = plan.DefaultNovaRelease
	}
	rel, err := novarelease.Parse(given)
	if err != nil {
		return rel, fmt.Errorf("target Nova release: %w", err)
	}
	return rel, nil
}

// Compute builds the accumulator and computes the result.
func Compute(in Input) (*baseline.Result, error) {
	if len(in.Hosts) == 0 {
		return nil, fmt.Errorf("no hosts: give the facts of at least one hypervisor")
	}
	rel, err := in.novaRelease()
	if err != nil {
		return nil, err
	}
	// Before 2023.1 Nova checks with compareCPU against the host CPU (hostcpu.go).
	limit := !rel.ComparesHypervisorCPU()
	dropped := map[string]int{}
	acc := &baseline.Accumulator{}
	// Hosts whose facts decoded to one *Facts (identical documents) share
	// one baseline.Host description.
	first := map[*hostfacts.Facts]string{}
	lost := map[*hostfacts.Facts][]string{}
	for _, h := range in.Hosts {
		if h.Facts == nil {
			return nil, fmt.Errorf("host %s has no facts; run cpu_flags_facts on it first", h.Name)
		}
		var err error
		if as, ok := first[h.Facts]; ok {
			err = acc.AddSame(h.Name, h.Group, as)
		} else {
			host := HostFromFacts(h.Name, h.Group, h.Facts)
			if limit {
				host, lost[h.Facts] = limitToHostCPU(host, h.Facts)
			}
			err = acc.Add(host)
			first[h.Facts] = strings.TrimSpace(h.Name)
		}
		for _, f := range lost[h.Facts] {
			dropped[f]++
		}
		if err != nil {
			return nil, err
		}
	}
	req := baseline.Request{Model: in.Model, Groups: in.Groups, Candidates: in.Candidates,
		AllowDisable: rel.FlagPrefixes(), NovaRelease: rel.Name(), LibvirtVersion: in.LibvirtVersion}
	if in.Instance != nil {
		inst := HostFromFacts("instance", "", in.Instance)
		req.Instance = &inst
	}
	r, err := baseline.Compute(acc, req)
	if err != nil {
		return nil, err
	}
	if w := hostCPUWarning(rel, dropped); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	markMissing(r, in.Missing)
	return r, nil
}

// markMissing records the hosts the baseline was computed without in every
// output: a first warning (the summary and the reports show warnings), the
// JSON field missing_hosts, and a comment atop the nova.conf snippet.
func markMissing(r *baseline.Result, missing map[string]string) {
	if len(missing) == 0 {
		return
	}
	r.MissingHosts = missing
	names := make([]string, 0, len(missing))
	for name := range missing {
		names = append(names, name)
	}
	sort.Strings(names)
	described := make([]string, len(names))
	for i, name := range names {
		described[i] = name
		if why := missing[name]; why != "" {
			described[i] += " (" + why + ")"
		}
	}
	w := fmt.Sprintf("computed WITHOUT %d host(s) of the cluster: %s. The model and flags were not checked against them: "+
		"gather their facts and run the baseline again before rolling out to them", len(names), strings.Join(described, ", "))
	r.Warnings = append([]string{w}, r.Warnings...)
	if r.NovaConf != "" {
		r.NovaConf = "# computed without " + strings.Join(names, ", ") + ": not checked against them\n" + r.NovaConf
	}
}

// HostFromFacts builds the baseline's Host from one host's facts, using the
// facts' trusted view. The Host shares the facts' feature and flag slices
// (the Accumulator copies what it keeps).
func HostFromFacts(name, group string, f *hostfacts.Facts) baseline.Host {
	h := baseline.Host{
		Name:       name,
		Group:      group,
		Vendor:     f.Vendor,
		ModelName:  f.ModelName,
		View:       f.TrustedView,
		Features:   f.TrustedFeatures,
		LinuxFlags: f.LinuxFlags,
	}
	if h.View == "" {
		h.View = baseline.ViewCPUInfo
	}
	if h.View == baseline.ViewCPUInfo && len(h.Features) == 0 {
		h.Features = f.Features
	}
	if v := f.Libvirt.Versions; v != nil {
		h.LibvirtVersion = v.Libvirt
	}
	if f.Libvirt.Available {
		for _, m := range f.Libvirt.Models {
			h.LibvirtModels = append(h.LibvirtModels, baseline.ModelUsability{
				Name: m.Name, Usable: m.Usable, Deprecated: m.Deprecated, Blockers: slices.Clone(m.Blockers),
			})
		}
	}
	return h
}

// PlanSource is one host as the plan package reads it: its facts and the
// guest view the baseline judges it by.
func PlanSource(name, group string, f *hostfacts.Facts) plan.Source {
	s := plan.Source{Name: name, Group: group, Facts: f}
	if f != nil {
		s.Guest = HostFromFacts(name, group, f)
	}
	return s
}

// Plan builds the plan of a result computed from in (see internal/plan).
func Plan(in Input, r *baseline.Result, now time.Time) (*plan.Plan, error) {
	srcs := make([]plan.Source, len(in.Hosts))
	for i, h := range in.Hosts {
		srcs[i] = PlanSource(h.Name, h.Group, h.Facts)
	}
	req := plan.Request{Model: strings.TrimSpace(in.Model), Groups: in.Groups, NovaRelease: in.NovaRelease, Instance: in.Instance != nil,
		LibvirtVersion: strings.TrimSpace(in.LibvirtVersion)}
	return plan.Build(r, srcs, plan.Options{Request: req, Now: now})
}

// KeepWrittenPlan returns the plan already written in dir when it records
// the same decision as p (only its creation time differs), else p: a
// second baseline run over unchanged hosts then changes no file.
func KeepWrittenPlan(dir string, p *plan.Plan) *plan.Plan {
	data, err := os.ReadFile(filepath.Join(dir, plan.FileName))
	if err != nil {
		return p
	}
	old, err := plan.Decode(data)
	if err != nil || !plan.SameDecision(old, p) {
		return p
	}
	return old
}

// Files renders every artifact of a result: the manual procedure's flag
// lists (computed exactly), report.json, report.md and report.html, and
// the plan (plan.json) when p is not nil.
func Files(r *baseline.Result, p *plan.Plan) ([]artifacts.File, error) {
	var files []artifacts.File
	names := make([]string, 0, len(r.Artifacts.Files))
	for name := range r.Artifacts.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		files = append(files, artifacts.File{Name: name, Content: artifacts.Lines(r.Artifacts.Files[name])})
	}
	files = append(files,
		artifacts.File{Name: "extra-flags.libvirt.list", Content: artifacts.Lines(r.ExtraFlags)},
		artifacts.File{Name: "nova.conf.snippet", Content: []byte(strings.TrimRight(r.NovaConf, "\n") + "\n")},
	)
	js, err := report.JSON(r)
	if err != nil {
		return nil, err
	}
	files = append(files,
		artifacts.File{Name: "report.json", Content: js},
		artifacts.File{Name: "report.md", Content: report.Markdown(r)},
		artifacts.File{Name: "report.html", Content: report.HTML(r)},
	)
	if p != nil {
		data, err := p.Encode()
		if err != nil {
			return nil, err
		}
		files = append(files, artifacts.File{Name: plan.FileName, Content: data})
	}
	return files, nil
}
