package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/baseline"
)

// Change is one difference between a planned host and its current facts.
type Change struct {
	// What names the field: microcode, cpu, model_name, vendor, view,
	// features, logical_cpus, libvirt, hypervisor.
	What   string `json:"what"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Lost and Gained are the features that disappeared and appeared.
	Lost   []string `json:"lost,omitempty"`
	Gained []string `json:"gained,omitempty"`
	// Fingerprinted is true when the field is part of the fingerprint (a
	// change the rollout refuses).
	Fingerprinted bool `json:"fingerprinted"`
}

func (c Change) String() string {
	switch c.What {
	case "features":
		var parts []string
		if len(c.Lost) > 0 {
			parts = append(parts, "features lost: "+strings.Join(c.Lost, ", "))
		}
		if len(c.Gained) > 0 {
			parts = append(parts, "features gained: "+strings.Join(c.Gained, ", "))
		}
		return strings.Join(parts, "; ")
	default:
		return fmt.Sprintf("%s %s -> %s", strings.ReplaceAll(c.What, "_", " "), orNone(c.Before), orNone(c.After))
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Host statuses in a drift report.
const (
	StatusUnchanged = "unchanged"
	StatusChanged   = "changed"
	StatusNew       = "new"     // facts given, host not in the plan
	StatusMissing   = "missing" // in the plan, no facts given
)

// HostDrift is one host in a drift report.
type HostDrift struct {
	Host   string `json:"host"`
	Status string `json:"status"`
	// Cause is the likely cause of a change, in words: a replaced host, new
	// microcode, a BIOS or kernel setting, a different view.
	Cause   string   `json:"cause,omitempty"`
	Changes []Change `json:"changes,omitempty"`
	// Fits is true when the plan's model and flags still fit the host's
	// current facts; Lacking says what it lacks when not (missing hosts
	// are not judged).
	Fits    bool     `json:"fits"`
	Lacking []string `json:"lacking,omitempty"`
}

// DriftReport is Drift's answer.
type DriftReport struct {
	Plan    string      `json:"plan"`
	Created string      `json:"created"`
	Model   string      `json:"model"`
	Hosts   []HostDrift `json:"hosts"`
	// Unchanged is true when no host given changed and none is new.
	Unchanged bool `json:"unchanged"`
	// Holds is true when the plan's model and flags fit every host given
	// and the plan itself has a model and no blockers.
	Holds   bool     `json:"holds"`
	Summary []string `json:"summary"`
}

// Drift compares a plan with current facts (see the package documentation).
func Drift(p *Plan, current []Source) (*DriftReport, error) {
	r := &DriftReport{Plan: p.Digest, Created: p.Created, Model: p.Model, Hosts: []HostDrift{}, Summary: []string{}}
	given := map[string]bool{}
	fits, err := fitting(p, current)
	if err != nil {
		return nil, err
	}
	for _, s := range current {
		if s.Facts == nil {
			return nil, fmt.Errorf("drift: host %s has no facts", s.Name)
		}
		given[s.Name] = true
		d := HostDrift{Host: s.Name, Fits: len(fits[s.Name]) == 0, Lacking: fits[s.Name]}
		planned, ok := p.Hosts[s.Name]
		now := HostOf(s)
		switch {
		case !ok:
			d.Status = StatusNew
			d.Cause = "not in the plan"
		default:
			d.Changes = compareHosts(planned, now)
			d.Status = StatusUnchanged
			if now.Fingerprint != planned.Fingerprint {
				d.Status = StatusChanged
				d.Cause = cause(d.Changes)
			}
		}
		r.Hosts = append(r.Hosts, d)
	}
	for _, name := range p.HostNames() {
		if !given[name] {
			r.Hosts = append(r.Hosts, HostDrift{Host: name, Status: StatusMissing, Cause: "no current facts given; not checked"})
		}
	}
	sort.Slice(r.Hosts, func(i, j int) bool { return r.Hosts[i].Host < r.Hosts[j].Host })

	r.Unchanged, r.Holds = true, p.Model != "" && len(p.Blockers) == 0
	counts := map[string]int{}
	for _, d := range r.Hosts {
		counts[d.Status]++
		if d.Status == StatusChanged || d.Status == StatusNew {
			r.Unchanged = false
		}
		if d.Status != StatusMissing && !d.Fits {
			r.Holds = false
		}
	}
	add := func(format string, args ...any) { r.Summary = append(r.Summary, fmt.Sprintf(format, args...)) }
	add("plan %s of %s (%s %s): %d unchanged, %d changed, %d not in the plan, %d not checked", p.ShortDigest(), p.Created,
		p.Nova.ModelOption, orNone(p.Model), counts[StatusUnchanged], counts[StatusChanged], counts[StatusNew], counts[StatusMissing])
	for _, d := range r.Hosts {
		switch d.Status {
		case StatusChanged:
			add("%s changed (%s): %s", d.Host, d.Cause, summarizeAll(d.Changes))
		case StatusNew:
			add("%s is not in the plan", d.Host)
		}
		if d.Status != StatusMissing && !d.Fits {
			add("%s can no longer run the plan: lacking %s", d.Host, strings.Join(d.Lacking, ", "))
		}
	}
	switch {
	case r.Unchanged && r.Holds:
		add("the plan still holds: every host given matches its fingerprint")
	case r.Holds:
		add("the plan's model and flags still fit every host given, but the rollout refuses changed or unplanned hosts: re-run the baseline and review the new plan")
	case p.Model == "":
		add("the plan does not hold: it has no model")
	case len(p.Blockers) > 0:
		add("the plan does not hold: it was blocked on %d host(s) when it was made", len(p.Blockers))
	default:
		add("the plan no longer holds: its model or flags do not fit every host given; re-run the baseline and review the new plan")
	}
	return r, nil
}

// fitting asks the baseline engine which of the current hosts can run the
// plan's model, and adds the plan's extra flags each host lacks.
func fitting(p *Plan, current []Source) (map[string][]string, error) {
	out := map[string][]string{}
	if len(current) == 0 {
		return out, nil
	}
	acc := &baseline.Accumulator{}
	for _, s := range current {
		if s.Facts == nil {
			continue
		}
		g := s.Guest
		g.Name = s.Name
		if err := acc.Add(g); err != nil {
			return nil, fmt.Errorf("drift: %w", err)
		}
	}
	if p.Model == "" {
		for _, s := range current {
			out[s.Name] = []string{"(the plan has no model)"}
		}
		return out, nil
	}
	res, err := baseline.Compute(acc, baseline.Request{Model: p.Model, Disable: p.DisabledFlags, LibvirtVersion: p.AssumedLibvirt})
	if err != nil {
		return nil, fmt.Errorf("drift: check model %s: %w", p.Model, err)
	}
	for h, fs := range res.ModelBlockers {
		out[h] = append(out[h], fs...)
	}
	for _, s := range current {
		if s.Facts == nil {
			continue
		}
		have := map[string]bool{}
		for _, f := range s.Guest.Features {
			have[f] = true
		}
		for _, f := range p.Flags {
			if !have[f] {
				out[s.Name] = append(out[s.Name], f)
			}
		}
		if len(out[s.Name]) > 0 {
			sort.Strings(out[s.Name])
			out[s.Name] = slices.Compact(out[s.Name])
		}
	}
	return out, nil
}

// compareHosts lists every difference between a planned host and now,
// fingerprinted fields first.
func compareHosts(planned, now Host) []Change {
	var out []Change
	str := func(what, a, b string, fp bool) {
		if a != b {
			out = append(out, Change{What: what, Before: a, After: b, Fingerprinted: fp})
		}
	}
	ident := func(c CPU) string {
		return fmt.Sprintf("family %s model %s stepping %s", orDash(intString(c.Family)), orDash(intString(c.Model)), orDash(intString(c.Stepping)))
	}
	str("vendor", planned.CPU.Vendor, now.CPU.Vendor, true)
	str("cpu", ident(planned.CPU), ident(now.CPU), true)
	str("model_name", planned.CPU.ModelName, now.CPU.ModelName, true)
	if planned.CPU.VendorID != now.CPU.VendorID && planned.CPU.Vendor == now.CPU.Vendor {
		str("vendor_id", planned.CPU.VendorID, now.CPU.VendorID, true)
	}
	str("microcode", planned.CPU.Microcode, now.CPU.Microcode, true)
	str("view", planned.View, now.View, true)
	lost, gained := setDiff(planned.Features, now.Features)
	if len(lost)+len(gained) > 0 {
		out = append(out, Change{What: "features", Lost: lost, Gained: gained, Fingerprinted: true})
	}
	if planned.LogicalCPUs != now.LogicalCPUs && planned.LogicalCPUs != 0 && now.LogicalCPUs != 0 {
		out = append(out, Change{What: "logical_cpus", Before: fmt.Sprint(planned.LogicalCPUs), After: fmt.Sprint(now.LogicalCPUs)})
	}
	str("libvirt", planned.Libvirt, now.Libvirt, false)
	str("prediction", planned.Prediction.String(), now.Prediction.String(), false)
	str("hypervisor", planned.Hypervisor, now.Hypervisor, false)
	return out
}

// cause names the likely cause of a fingerprint change, from the fields
// that changed: the CPU identity means another board or CPU; a microcode
// revision means an update (which can add or remove features, e.g. TSX);
// features alone on the same CPU and microcode mean a firmware (BIOS)
// setting, a kernel parameter or a KVM module option; the view means the
// facts were gathered another way (libvirt now answers, or no longer does).
func cause(changes []Change) string {
	has := map[string]bool{}
	for _, c := range changes {
		if c.Fingerprinted {
			has[c.What] = true
		}
	}
	switch {
	case has["vendor"] || has["cpu"] || has["model_name"] || has["vendor_id"]:
		return "replaced host or CPU"
	case has["microcode"]:
		return "new microcode"
	case has["view"]:
		return "facts gathered from another view"
	case has["features"]:
		return "a BIOS setting, kernel parameter or KVM option (same CPU and microcode)"
	}
	return "fingerprint differs"
}

func summarizeAll(changes []Change) string {
	parts := make([]string, len(changes))
	for i, c := range changes {
		parts[i] = c.String()
		if !c.Fingerprinted {
			parts[i] += " (not in the fingerprint)"
		}
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// setDiff returns a − b and b − a, sorted.
func setDiff(a, b []string) (onlyA, onlyB []string) {
	in := func(s []string) map[string]bool {
		m := make(map[string]bool, len(s))
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	for x := range ma {
		if !mb[x] {
			onlyA = append(onlyA, x)
		}
	}
	for x := range mb {
		if !ma[x] {
			onlyB = append(onlyB, x)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return onlyA, onlyB
}
