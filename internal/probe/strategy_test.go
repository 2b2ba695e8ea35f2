package probe

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

type strategyFunc func(ctx context.Context, rec *Recorder, p Prober, flags []string) (*Decision, error)

func rejectedNames(d *Decision) []string {
	var out []string
	for f := range d.Rejected {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func TestStrategies(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	strategies := map[string]strategyFunc{"one_by_one": OneByOne, "bisect": Bisect, "predict": Predict}
	tests := []struct {
		name, reason string
		bad          []string
		wantAccepted []string
		wantTrials   map[string]int
	}{
		{name: "all good", reason: "one trial for bisect, n for one_by_one, n+1 for predict",
			wantAccepted: all, wantTrials: map[string]int{"one_by_one": 8, "bisect": 1, "predict": 9}},
		{name: "one bad", reason: "bisect halves down to the bad flag",
			bad: []string{"f"}, wantAccepted: []string{"a", "b", "c", "d", "e", "g", "h"},
			wantTrials: map[string]int{"one_by_one": 8, "bisect": 5, "predict": 9}},
		{name: "all bad", reason: "every flag is refused alone",
			bad: all, wantAccepted: nil, wantTrials: map[string]int{"one_by_one": 8, "predict": 8}},
		{name: "first and last bad", reason: "both ends",
			bad: []string{"a", "h"}, wantAccepted: []string{"b", "c", "d", "e", "f", "g"}},
	}
	for _, tt := range tests {
		for sname, fn := range strategies {
			t.Run(tt.name+"/"+sname, func(t *testing.T) {
				p := newFake("fake", tt.bad...)
				rec := &Recorder{Model: "Westmere"}
				d, err := fn(context.Background(), rec, p, all)
				noErr(t, err)
				eq(t, tt.wantAccepted, nilIfEmpty(d.Accepted), tt.reason)
				want := slices.Clone(tt.bad)
				sort.Strings(want)
				eq(t, want, rejectedNames(d), tt.reason)
				for f, r := range d.Rejected {
					has(t, r.Reason, "fake refuses", "reason of %s", f)
					has(t, r.Trial, f, "the refusing trial of %s holds it", f)
					eq(t, "fake", r.By)
				}
				if n, ok := tt.wantTrials[sname]; ok {
					length(t, p.trials, n, tt.reason)
				}
				length(t, rec.Steps, len(p.trials), "every trial is logged")
			})
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestBisectProperty: for random good/bad partitions bisect finds exactly
// the bad set, with at most 2·b·⌈log2 n⌉+1 trials.
func TestBisectProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		n := 1 + rng.Intn(40)
		flags := make([]string, n)
		for j := range flags {
			flags[j] = "f" + string(rune('A'+j/26)) + string(rune('a'+j%26))
		}
		var bad []string
		for _, f := range flags {
			if rng.Intn(6) == 0 {
				bad = append(bad, f)
			}
		}
		p := newFake("fake", bad...)
		d, err := Bisect(context.Background(), &Recorder{Model: "M"}, p, flags)
		noErr(t, err)
		sort.Strings(bad)
		eq(t, nilIfEmpty(bad), nilIfEmpty(rejectedNames(d)), "n=%d", n)
		length(t, d.Accepted, n-len(bad))
		bound := 2*len(bad)*int(math.Ceil(math.Log2(float64(n)))) + 1
		if len(p.trials) > bound {
			t.Fatalf("n=%d b=%d: %d trials > bound %d", n, len(bad), len(p.trials), bound)
		}
	}
}

func TestAuto(t *testing.T) {
	flags := []string{"pcid", "sse4.1", "constant_tsc", "avx512f", "x2apic"}
	tests := []struct {
		name, reason string
		predBad      []string
		novaBad      []string
		wantAccepted []string
		wantRestarts int
		wantBy       map[string]string
	}{
		{name: "prediction right", reason: "one confirming restart",
			predBad: []string{"constant_tsc", "avx512f"}, novaBad: []string{"constant_tsc", "avx512f"},
			wantAccepted: []string{"pcid", "sse4.1", "x2apic"}, wantRestarts: 1,
			wantBy: map[string]string{"constant_tsc": "libvirt", "avx512f": "libvirt"}},
		{name: "prediction too generous", reason: "nova refuses x2apic: bisect the predicted set without re-asking it",
			predBad: []string{"avx512f"}, novaBad: []string{"x2apic"},
			wantAccepted: []string{"pcid", "sse4.1", "constant_tsc"}, wantRestarts: 3,
			wantBy: map[string]string{"avx512f": "libvirt", "x2apic": "nova"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := newFake("libvirt", tt.predBad...)
			nova := newFake("nova", tt.novaBad...)
			d, err := Auto(context.Background(), &Recorder{Model: "Westmere"}, pred, nova, flags, nil)
			noErr(t, err)
			eq(t, tt.wantAccepted, d.Accepted, tt.reason)
			length(t, nova.trials, tt.wantRestarts, tt.reason)
			for f, by := range tt.wantBy {
				eq(t, by, d.Rejected[f].By, f)
			}
		})
	}
}

// refuseAll is a FAKE nova-compute that refuses even the base model alone.
type refuseAll struct{ trials int }

func (r *refuseAll) Name() string { return "nova" }
func (r *refuseAll) Check(context.Context, prober.Trial) (prober.Outcome, error) {
	r.trials++
	return prober.Outcome{Reason: "InvalidCPUInfo: the model itself"}, nil
}

func TestAutoConfirmedAndRefusedModel(t *testing.T) {
	flags := []string{"pcid", "avx512f", "x2apic"}
	t.Run("already confirmed", func(t *testing.T) {
		pred, nova := newFake("libvirt", "avx512f"), newFake("nova")
		var asked []string
		d, err := Auto(context.Background(), &Recorder{Model: "Westmere"}, pred, nova, flags,
			func(_ context.Context, accepted []string) string { asked = accepted; return "running on them" })
		noErr(t, err)
		eq(t, []string{"pcid", "x2apic"}, asked, "the predicted set is what is confirmed")
		eq(t, "running on them", d.Confirmed)
		length(t, nova.trials, 0, "no confirming restart when the running nova-compute already passed")
	})
	t.Run("not confirmed", func(t *testing.T) {
		pred, nova := newFake("libvirt", "avx512f"), newFake("nova")
		d, err := Auto(context.Background(), &Recorder{Model: "Westmere"}, pred, nova, flags,
			func(context.Context, []string) string { return "" })
		noErr(t, err)
		eq(t, "", d.Confirmed)
		length(t, nova.trials, 1, "one confirming restart")
	})
	t.Run("base model refused", func(t *testing.T) {
		pred, nova := newFake("libvirt", flags...), &refuseAll{}
		_, err := Auto(context.Background(), &Recorder{Model: "Westmere"}, pred, nova, flags, nil)
		if err == nil || !strings.Contains(err.Error(), "nova-compute refused the base model Westmere with no extra flags") {
			t.Fatalf("err = %v, want the base model's refusal", err)
		}
		eq(t, 1, nova.trials, "the empty set is asked once")
	})
}

func TestPredictInteraction(t *testing.T) {
	p := newFake("libvirt")
	p.pairBad = [][2]string{{"a", "c"}}
	d, err := Predict(context.Background(), &Recorder{Model: "M"}, p, []string{"a", "b", "c"})
	noErr(t, err)
	eq(t, []string{"a", "b"}, d.Accepted, "each passes alone; the group is bisected and c is refused on top of a")
	has(t, d.Rejected["c"].Reason, "a+c")
}

func TestStrategyErrorStops(t *testing.T) {
	p := newFake("nova")
	p.err = errors.New("nova-compute unstable")
	for name, fn := range map[string]strategyFunc{"one_by_one": OneByOne, "bisect": Bisect, "predict": Predict} {
		_, err := fn(context.Background(), &Recorder{Model: "M"}, p, []string{"a", "b"})
		if err == nil || !strings.Contains(err.Error(), "nova-compute unstable") {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, reason, given, want string
		noteHas                   string
	}{
		{name: "libvirt name", reason: "kept", given: "pcid", want: "pcid"},
		{name: "linux name", reason: "renamed to libvirt's", given: "sse4_1", want: "sse4.1", noteHas: "libvirt name of sse4_1"},
		{name: "linux name with +", reason: "prefix kept", given: "+tsc_deadline_timer", want: "+tsc-deadline", noteHas: "tsc-deadline"},
		{name: "disable", reason: "prefix kept", given: "-pcid", want: "-pcid"},
		{name: "synthetic", reason: "kept as given for the prober to refuse", given: "constant_tsc", want: "constant_tsc", noteHas: "kernel-synthetic"},
		{name: "upper case", reason: "lower-cased", given: "AVX2", want: "avx2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, _ := Normalize([]string{tt.given})
			length(t, cs, 1)
			eq(t, tt.want, cs[0].Name, tt.reason)
			eq(t, tt.given, cs[0].Given)
			if tt.noteHas != "" {
				has(t, cs[0].Note, tt.noteHas)
			}
		})
	}
	cs, notes := Normalize([]string{"sse4_1", "sse4.1", " "})
	length(t, cs, 1, "duplicates after mapping and blanks are dropped")
	length(t, notes, 1)
}

func TestCheckForVersion(t *testing.T) {
	for v, want := range map[string]string{"26.2.2": "compareCPU", "27.0.0": "compareHypervisorCPU", "31.0.1": "compareHypervisorCPU", "25.1": "compareCPU"} {
		got, err := CheckForVersion(v)
		noErr(t, err, v)
		eq(t, want, got, v)
	}
	_, err := CheckForVersion("zed")
	if err == nil {
		t.Error("want an error for a non-numeric version")
	}
}
