package probe

import (
	"context"
	"fmt"
	"slices"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// Strategy names accepted by Run (besides "plugin:NAME").
const (
	StrategyAuto     = "auto"
	StrategyLibvirt  = "libvirt"
	StrategyNova     = "nova"
	StrategyBisect   = "bisect"
	StrategyOneByOne = "one_by_one"
	// PluginPrefix starts "plugin:NAME": an external prober predicts, then
	// one restart confirms, as in auto.
	PluginPrefix = "plugin:"
)

// Strategies lists the built-in strategy names.
var Strategies = []string{StrategyAuto, StrategyLibvirt, StrategyNova, StrategyBisect, StrategyOneByOne}

// Rejection says why a flag was rejected.
type Rejection struct {
	// Reason is the refusal in the refuser's own words (Nova's log line or libvirt's message).
	Reason string `json:"reason"`
	// By names the prober whose trial refused it.
	By string `json:"by"`
	// Trial is the flag set of the refused trial (the accepted flags so far plus this one).
	Trial []string `json:"trial"`
}

// Decision is what a strategy found.
type Decision struct {
	// Accepted are the accepted flags in candidate order.
	Accepted []string
	// Rejected maps each rejected flag to why.
	Rejected map[string]Rejection
	// Confirmed says why the accepted flags needed no confirming restart
	// (Auto; "" when they had one or the strategy makes none).
	Confirmed string
}

func newDecision() *Decision { return &Decision{Rejected: map[string]Rejection{}} }

// ordered returns d with Accepted sorted in the order of flags.
func (d *Decision) ordered(flags []string) *Decision {
	idx := map[string]int{}
	for i, f := range flags {
		idx[f] = i
	}
	slices.SortFunc(d.Accepted, func(a, b string) int { return idx[a] - idx[b] })
	return d
}

func concat(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// OneByOne is the reference procedure: add one flag at a time to the flags
// accepted so far, ask, keep it when accepted and drop it when refused. With
// a restarting prober it costs one restart per flag.
func OneByOne(ctx context.Context, rec *Recorder, p Prober, flags []string) (*Decision, error) {
	d := newDecision()
	for _, f := range flags {
		trial := concat(d.Accepted, []string{f})
		out, err := rec.Ask(ctx, p, trial)
		if err != nil {
			return d, err
		}
		if out.Accepted {
			d.Accepted = append(d.Accepted, f)
		} else {
			d.Rejected[f] = Rejection{Reason: out.Reason, By: p.Name(), Trial: trial}
		}
	}
	return d.ordered(flags), nil
}

// Bisect asks for the whole group first and splits only what is refused
// (adaptive group testing): a refused group is halved; the left half is
// asked on top of the flags accepted so far, and when the left half is
// wholly accepted the right half is known to be refused and is split
// without asking it again. A flag is rejected only by a trial made of the
// accepted flags plus that flag alone, so every reason is about that flag.
// For n flags of which b are refused it asks at most 2·b·⌈log2 n⌉+1 trials.
func Bisect(ctx context.Context, rec *Recorder, p Prober, flags []string) (*Decision, error) {
	return bisectFrom(ctx, rec, p, nil, flags, nil)
}

// bisectFrom is Bisect on top of base; when known is non-nil, the trial
// base+flags is already known to be refused with that outcome.
func bisectFrom(ctx context.Context, rec *Recorder, p Prober, base, flags []string, known *prober.Outcome) (*Decision, error) {
	d := newDecision()
	ok, err := bisect(ctx, rec, p, base, flags, known, d)
	d.Accepted = ok
	return d.ordered(flags), err
}

func bisect(ctx context.Context, rec *Recorder, p Prober, base, set []string, known *prober.Outcome, d *Decision) ([]string, error) {
	if len(set) == 0 {
		return nil, nil
	}
	refused := known
	if refused == nil {
		out, err := rec.Ask(ctx, p, concat(base, set))
		if err != nil {
			return nil, err
		}
		if out.Accepted {
			return slices.Clone(set), nil
		}
		refused = &out
	}
	if len(set) == 1 {
		d.Rejected[set[0]] = Rejection{Reason: refused.Reason, By: p.Name(), Trial: concat(base, set)}
		return nil, nil
	}
	mid := len(set) / 2
	left, right := set[:mid], set[mid:]
	okLeft, err := bisect(ctx, rec, p, base, left, nil, d)
	if err != nil {
		return okLeft, err
	}
	var rightKnown *prober.Outcome
	if len(okLeft) == len(left) {
		// base+left+right was refused and base+left is accepted: right holds a refused flag.
		rightKnown = refused
	}
	okRight, err := bisect(ctx, rec, p, concat(base, okLeft), right, rightKnown, d)
	return concat(okLeft, okRight), err
}

// Predict asks a cheap prober (libvirt, a plugin) about each flag on its
// own, so that every rejection carries its own reason, then asks for all
// accepted flags together; when the group is refused although each flag
// passed alone, it bisects the group.
func Predict(ctx context.Context, rec *Recorder, p Prober, flags []string) (*Decision, error) {
	d := newDecision()
	for _, f := range flags {
		out, err := rec.Ask(ctx, p, []string{f})
		if err != nil {
			return d, err
		}
		if out.Accepted {
			d.Accepted = append(d.Accepted, f)
		} else {
			d.Rejected[f] = Rejection{Reason: out.Reason, By: p.Name(), Trial: []string{f}}
		}
	}
	if len(d.Accepted) < 2 {
		return d.ordered(flags), nil
	}
	out, err := rec.Ask(ctx, p, d.Accepted)
	if err != nil || out.Accepted {
		return d.ordered(flags), err
	}
	group, err := bisectFrom(ctx, rec, p, nil, d.Accepted, &out)
	d.Accepted = group.Accepted
	for f, r := range group.Rejected {
		d.Rejected[f] = r
	}
	return d.ordered(flags), err
}

// Auto is the auto strategy (and plugin:NAME's): it predicts with a cheap
// prober, confirms the predicted set with one real trial (one restart), and
// bisects with the real prober only when nova-compute still refuses. Flags
// the predictor refused keep its reason. When confirmed (may be nil) gives a
// reason for the predicted set, the confirming trial is skipped and the
// reason is Decision.Confirmed.
func Auto(ctx context.Context, rec *Recorder, predictor, real Prober, flags []string, confirmed func(ctx context.Context, accepted []string) string) (*Decision, error) {
	d, err := Predict(ctx, rec, predictor, flags)
	if err != nil {
		return d, err
	}
	if confirmed != nil {
		if why := confirmed(ctx, d.Accepted); why != "" {
			d.Confirmed = why
			return d, nil
		}
	}
	out, err := rec.Ask(ctx, real, d.Accepted)
	if err != nil || out.Accepted {
		return d, err
	}
	if len(d.Accepted) == 0 {
		return d, fmt.Errorf("nova-compute refused the base model %s with no extra flags: %s", rec.Base(), out.Reason)
	}
	group, err := bisectFrom(ctx, rec, real, nil, d.Accepted, &out)
	d.Accepted = group.Accepted
	for f, r := range group.Rejected {
		d.Rejected[f] = r
	}
	return d.ordered(flags), err
}
