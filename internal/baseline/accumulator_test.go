package baseline

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomHosts returns n hosts drawing features from a pool of poolSize,
// each feature present with probability p.
func randomHosts(rng *rand.Rand, n, poolSize int, p float64) []Host {
	hosts := make([]Host, n)
	for i := range hosts {
		var fs, ls []string
		for f := 0; f < poolSize; f++ {
			if rng.Float64() < p {
				fs = append(fs, fmt.Sprintf("f%03d", f))
				ls = append(ls, fmt.Sprintf("l%03d", f))
			}
		}
		hosts[i] = Host{Name: fmt.Sprintf("h%05d", i), Group: fmt.Sprintf("g%d", i%3), Vendor: "Intel", Features: fs, LinuxFlags: ls}
	}
	return hosts
}

// naiveCommon is the test's own intersection: a feature survives when every
// host lists it.
func naiveCommon(hosts []Host) []string {
	out := []string{}
	if len(hosts) == 0 {
		return out
	}
	for _, f := range hosts[0].Features {
		all := true
		for _, h := range hosts[1:] {
			if !slices.Contains(h.Features, f) {
				all = false
				break
			}
		}
		if all && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

func TestAccumulatorProperties(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewSource(seed))
		hosts := randomHosts(rng, 1+rng.Intn(8), 40, 0.5+rng.Float64()*0.5)
		a := mustAcc(t, hosts...)
		common := a.Common()

		if want := naiveCommon(hosts); !cmp.Equal(common, want) {
			t.Fatalf("seed %d: common differs from the naive intersection:\n%s", seed, cmp.Diff(want, common))
		}
		// Order independence: every rotation and a shuffle give the same result.
		shuffled := slices.Clone(hosts)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		b := mustAcc(t, shuffled...)
		if !cmp.Equal(common, b.Common()) || !cmp.Equal(a.Missing(), b.Missing()) || !cmp.Equal(a.CommonLinux(), b.CommonLinux()) {
			t.Fatalf("seed %d: result depends on the order of hosts", seed)
		}
		// Idempotence: a host identical (other name) to one already added
		// changes nothing.
		c := a.Clone()
		dup := hosts[0]
		dup.Name = "copy-of-" + dup.Name
		if err := c.Add(dup); err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(common, c.Common()) {
			t.Fatalf("seed %d: adding a copy of a host changed the common set", seed)
		}
		// Subset of every host.
		for _, h := range hosts {
			for _, f := range common {
				if !slices.Contains(h.Features, f) {
					t.Fatalf("seed %d: common feature %s not on host %s", seed, f, h.Name)
				}
			}
		}
		// Adding a host never grows it, and refines it exactly.
		extra := randomHosts(rng, 1, 40, 0.7)[0]
		extra.Name = "extra"
		d := a.Clone()
		if err := d.Add(extra); err != nil {
			t.Fatal(err)
		}
		for _, f := range d.Common() {
			if !slices.Contains(common, f) {
				t.Fatalf("seed %d: adding a host grew the common set by %s", seed, f)
			}
		}
		if want := naiveCommon(append(slices.Clone(hosts), extra)); !cmp.Equal(d.Common(), want) {
			t.Fatalf("seed %d: incremental add differs from recomputing:\n%s", seed, cmp.Diff(want, d.Common()))
		}
		// The clone was independent.
		if !cmp.Equal(common, a.Common()) || a.Len() != len(hosts) {
			t.Fatalf("seed %d: Clone shares state with the original", seed)
		}
		// Missing: exactly the hosts lacking each non-common feature.
		for f, lacking := range d.Missing() {
			all := append(slices.Clone(hosts), extra)
			var want []string
			for _, h := range all {
				if !slices.Contains(h.Features, f) {
					want = append(want, h.Name)
				}
			}
			slices.Sort(want)
			if !cmp.Equal(lacking, want) {
				t.Fatalf("seed %d: Missing[%s] = %v, want %v", seed, f, lacking, want)
			}
		}
	}
}

func TestAccumulatorAdd(t *testing.T) {
	tests := []struct {
		name    string
		hosts   []Host
		wantErr error
		errText string
		common  []string
		reason  string
	}{
		{name: "duplicate", reason: "a host added twice would count twice; the error must name it",
			hosts:   []Host{{Name: "hv1", Features: []string{"a"}}, {Name: "hv1", Features: []string{"a"}}},
			wantErr: ErrDuplicateHost, errText: "add host hv1: duplicate host"},
		{name: "no name", reason: "Missing must be able to name every host",
			hosts: []Host{{ModelName: "EPYC 7742"}}, errText: `add host: the host has no name (model "EPYC 7742")`},
		{name: "blanks and duplicates in features", reason: "names are trimmed, blanks dropped, a repeated feature counts once",
			hosts:  []Host{{Name: "a", Features: []string{" sse2 ", "", "sse2", "avx"}}, {Name: "b", Features: []string{"sse2"}}},
			common: []string{"sse2"}},
		{name: "host without features", reason: "a host with no features empties the intersection",
			hosts:  []Host{{Name: "a", Features: []string{"sse2"}}, {Name: "b"}},
			common: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Accumulator{}
			var err error
			for _, h := range tt.hosts {
				if err = a.Add(h); err != nil {
					break
				}
			}
			if tt.errText != "" {
				if err == nil || len(err.Error()) < len(tt.errText) || err.Error()[:len(tt.errText)] != tt.errText {
					t.Fatalf("%s: err = %v, want prefix %q", tt.reason, err, tt.errText)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("%s: err %v does not wrap %v", tt.reason, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Common(); !cmp.Equal(got, tt.common) {
				t.Fatalf("%s: common = %v, want %v", tt.reason, got, tt.common)
			}
		})
	}
}

func TestEmptyAccumulator(t *testing.T) {
	var a Accumulator
	if got := a.Common(); got == nil || len(got) != 0 {
		t.Fatalf("Common of no hosts = %#v, want empty non-nil", got)
	}
	if len(a.Missing()) != 0 || a.Len() != 0 {
		t.Fatal("an empty accumulator reports hosts or missing features")
	}
	if _, err := Compute(&a, Request{}); !errors.Is(err, ErrNoHosts) {
		t.Fatalf("Compute with no hosts: err = %v, want ErrNoHosts", err)
	}
}
