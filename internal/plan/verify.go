package plan

import (
	"fmt"
	"sort"
	"strings"
)

// Refusal is one reason a plan may not be rolled out; Host is "" for a
// reason that concerns the plan as a whole.
type Refusal struct {
	Host   string `json:"host,omitempty"`
	Reason string `json:"reason"`
}

func (r Refusal) String() string {
	if r.Host == "" {
		return r.Reason
	}
	return r.Host + ": " + r.Reason
}

// Verdict is Verify's answer.
type Verdict struct {
	// OK is true when the plan may be rolled out to the hosts given.
	OK       bool      `json:"ok"`
	Refusals []Refusal `json:"refusals"`
	// Hosts are the hosts checked, sorted.
	Hosts []string `json:"hosts"`
}

// Message is one sentence naming every refusal, for a failed task.
func (v Verdict) Message(p *Plan) string {
	if v.OK {
		return fmt.Sprintf("plan %s holds for %d host(s): %s %s with %d extra flags", p.ShortDigest(), len(v.Hosts),
			p.Nova.ModelOption, p.Model, len(p.Nova.ExtraFlags))
	}
	parts := make([]string, len(v.Refusals))
	for i, r := range v.Refusals {
		parts[i] = r.String()
	}
	return fmt.Sprintf("refusing plan %s before touching any host (%d reason(s)): %s", p.ShortDigest(), len(v.Refusals), strings.Join(parts, "; "))
}

// Verify decides whether p may be rolled out to the hosts in current, with
// their current facts (see the package documentation). It never fails
// half-way: every reason is collected, plan-wide ones first, then by host.
func Verify(p *Plan, current []Source) Verdict {
	v := Verdict{Refusals: []Refusal{}, Hosts: []string{}}
	if p.Model == "" {
		v.Refusals = append(v.Refusals, Refusal{Reason: "the plan has no base model: no CPU model fits every host it covers (see its warnings); split the cluster or name a model, then review a new plan"})
	}
	var blocked []string
	for h := range p.Blockers {
		blocked = append(blocked, h)
	}
	sort.Strings(blocked)
	for _, h := range blocked {
		v.Refusals = append(v.Refusals, Refusal{Host: h, Reason: fmt.Sprintf(
			"the plan is blocked here: base model %s cannot run on this host (lacking %s), so nova-compute would refuse to start; re-plan with another model or without this host",
			p.Model, strings.Join(p.Blockers[h], ", "))})
	}
	sorted := append([]Source(nil), current...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, s := range sorted {
		v.Hosts = append(v.Hosts, s.Name)
		planned, ok := p.Hosts[s.Name]
		switch {
		case !ok:
			v.Refusals = append(v.Refusals, Refusal{Host: s.Name, Reason: fmt.Sprintf(
				"not in the plan (it covers %s): add the host to the baseline's groups, re-run the baseline and review the new plan",
				strings.Join(p.HostNames(), ", "))})
		case s.Facts == nil:
			v.Refusals = append(v.Refusals, Refusal{Host: s.Name, Reason: "no current CPU facts to compare with the plan: gather them first (role cpu_flags_gather)"})
		default:
			now := HostOf(s)
			if now.Fingerprint != planned.Fingerprint {
				v.Refusals = append(v.Refusals, Refusal{Host: s.Name, Reason: fmt.Sprintf(
					"changed since the plan was made (%s): re-run the baseline with current facts and review the new plan",
					summarize(compareHosts(planned, now)))})
			}
		}
	}
	if len(current) == 0 {
		v.Refusals = append(v.Refusals, Refusal{Reason: "no hosts to roll out to"})
	}
	v.OK = len(v.Refusals) == 0
	return v
}

// summarize joins the fingerprinted changes in a short phrase.
func summarize(changes []Change) string {
	var parts []string
	for _, c := range changes {
		if c.Fingerprinted {
			parts = append(parts, c.String())
		}
	}
	if len(parts) == 0 {
		return "fingerprint differs"
	}
	return strings.Join(parts, "; ")
}
