package probe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// Prober answers trials. Implementations: LibvirtProber, NovaProber,
// ExecProber (external plugin), and fakes in tests.
type Prober interface {
	// Name names the prober in step logs and reasons ("libvirt compareCPU", "nova-compute restart").
	Name() string
	// Check answers one trial. An error means no answer (libvirt unreachable,
	// nova-compute unstable), never a refusal.
	Check(ctx context.Context, t prober.Trial) (prober.Outcome, error)
}

// Step is one trial in the per-step log.
type Step struct {
	// Prober is the Name of the prober asked.
	Prober string `json:"prober"`
	// Flags are the trial's flags.
	Flags []string `json:"flags"`
	// Accepted is the answer.
	Accepted bool `json:"accepted"`
	// Reason is the refusal, or a note on acceptance.
	Reason string `json:"reason,omitempty"`
	// Seconds is how long the trial took.
	Seconds float64 `json:"seconds"`
}

// Recorder asks a prober and logs every trial.
type Recorder struct {
	// Model is the base model of every trial.
	Model string
	// Disabled are the model's features every trial turns off, each
	// "-name" (the plan's disabled flags): part of the base, never decided.
	Disabled []string
	// Check and LibvirtURI and Options are copied into every trial.
	Check      string
	LibvirtURI string
	Options    map[string]string
	// Steps is the log so far.
	Steps []Step
	// Progress, when set, is called after each step (for stderr logging).
	Progress func(Step)
}

// Ask runs one trial on p and records it.
func (r *Recorder) Ask(ctx context.Context, p Prober, flags []string) (prober.Outcome, error) {
	// Disabled last, in the order nova.conf is written (probeRun.written):
	// the trial of the final set is then byte for byte the final nova.conf,
	// and no extra restart is needed onto it.
	t := prober.Trial{Model: r.Model, Flags: concat(flags, r.Disabled), Check: r.Check, LibvirtURI: r.LibvirtURI, Options: r.Options}
	start := time.Now()
	out, err := p.Check(ctx, t)
	if err != nil {
		return prober.Outcome{}, fmt.Errorf("%s on %s + [%s]: %w", p.Name(), r.Model, strings.Join(t.Flags, ", "), err)
	}
	s := Step{Prober: p.Name(), Flags: t.Flags, Accepted: out.Accepted, Reason: out.Reason, Seconds: time.Since(start).Seconds()}
	r.Steps = append(r.Steps, s)
	if r.Progress != nil {
		r.Progress(s)
	}
	return out, nil
}

// Base names the base of every trial: the model, and its disabled features.
func (r *Recorder) Base() string {
	if len(r.Disabled) == 0 {
		return r.Model
	}
	return r.Model + " " + strings.Join(r.Disabled, " ")
}

// Candidate is one entry of the operator's candidate list.
type Candidate struct {
	// Given is the spelling the operator wrote (sse4_1, +tsc_deadline_timer).
	Given string `json:"given"`
	// Name is what is tested and written: the libvirt name with the given
	// +/- prefix (sse4.1, +tsc-deadline), or Given lower-cased when no
	// libvirt name is known (the prober then says why it is refused).
	Name string `json:"name"`
	// Note explains a renaming or why the name is unknown to libvirt.
	Note string `json:"note,omitempty"`
}

// Normalize maps candidates to libvirt names with featnames, keeps +/-,
// drops exact duplicates (after mapping) and empty entries. Unknown names
// are kept as given (lower-cased) so that the prober, not a table, decides.
func Normalize(given []string) ([]Candidate, []string) {
	t := featnames.Builtin()
	var out []Candidate
	var notes []string
	seen := map[string]string{}
	for _, g := range given {
		raw := strings.TrimSpace(g)
		if raw == "" {
			continue
		}
		prefix := ""
		bare := raw
		if raw[0] == '+' || raw[0] == '-' {
			prefix, bare = raw[:1], strings.TrimSpace(raw[1:])
		}
		c := Candidate{Given: g}
		if lv, ok := t.Canonical(bare); ok {
			c.Name = prefix + lv
			if !strings.EqualFold(lv, bare) {
				c.Note = fmt.Sprintf("%s is the libvirt name of %s", lv, bare)
			}
		} else {
			c.Name = prefix + strings.ToLower(bare)
			if ex, linuxOnly := t.IsLinuxOnly(bare); linuxOnly {
				c.Note = fmt.Sprintf("no libvirt feature (%s): %s", ex.Reason, ex.Detail)
			} else {
				c.Note = "not a libvirt feature name known to this module; tested as given"
			}
		}
		if prev, dup := seen[c.Name]; dup {
			notes = append(notes, fmt.Sprintf("candidate %q is the same feature as %q (%s); tested once", g, prev, c.Name))
			continue
		}
		seen[c.Name] = g
		out = append(out, c)
	}
	return out, notes
}

// names returns the Name of each candidate.
func names(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}
