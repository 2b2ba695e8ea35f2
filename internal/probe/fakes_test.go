package probe

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// fakeProber refuses any trial holding a flag in bad (a stand-in for
// nova-compute or libvirt). It counts its trials.
type fakeProber struct {
	name string
	bad  map[string]bool
	// pairBad refuses a trial holding both flags of a pair (an interaction).
	pairBad [][2]string
	trials  [][]string
	err     error
}

func newFake(name string, bad ...string) *fakeProber {
	f := &fakeProber{name: name, bad: map[string]bool{}}
	for _, b := range bad {
		f.bad[b] = true
	}
	return f
}

func (f *fakeProber) Name() string { return f.name }
func (f *fakeProber) Check(_ context.Context, t prober.Trial) (prober.Outcome, error) {
	f.trials = append(f.trials, slices.Clone(t.Flags))
	if f.err != nil {
		return prober.Outcome{}, f.err
	}
	var refused []string
	for _, fl := range t.Flags {
		if f.bad[fl] {
			refused = append(refused, fl)
		}
	}
	for _, p := range f.pairBad {
		if slices.Contains(t.Flags, p[0]) && slices.Contains(t.Flags, p[1]) {
			refused = append(refused, p[0]+"+"+p[1])
		}
	}
	if len(refused) > 0 {
		return prober.Outcome{Reason: fmt.Sprintf("fake refuses %s", strings.Join(refused, ","))}, nil
	}
	return prober.Outcome{Accepted: true}, nil
}
