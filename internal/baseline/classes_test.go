package baseline

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
)

// fleet returns n hosts of three real CPUs (with a fourth description: the
// Cascade Lake with TSX off), named so that every CPU's hosts interleave.
func fleet(t testing.TB, n int) []Host {
	t.Helper()
	tmpl := []Host{sampleHost(t, broadwell, ""), sampleHost(t, cascade, ""), sampleHost(t, milan, "")}
	tsxOff := tmpl[1]
	tsxOff.Features = slices.DeleteFunc(slices.Clone(tsxOff.Features), func(f string) bool { return f == "hle" || f == "rtm" })
	tmpl = append(tmpl, tsxOff)
	out := make([]Host, n)
	for i := range out {
		h := tmpl[i%len(tmpl)]
		h.Name = fmt.Sprintf("hv-%05d", i)
		h.Group = []string{"old", "new"}[i%2]
		out[i] = h
	}
	return out
}

// Hosts with identical descriptions share a class; the classes count and
// name their members, and the result is the same whatever the order of Add.
func TestHostClasses(t *testing.T) {
	hosts := fleet(t, 400)
	r, err := Compute(mustAcc(t, hosts...), Request{Groups: []string{"old", "new"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Classes) != 4 {
		t.Fatalf("%d classes, want 4 (three CPUs and a TSX-off variant): %+v", len(r.Classes), r.Classes)
	}
	seen := map[string]string{}
	for k, c := range r.Classes {
		if c.ID != fmt.Sprintf("c%d", k+1) || c.Count != 100 || len(c.Members) != 100 || !slices.IsSorted(c.Members) {
			t.Errorf("class %d: id %s, count %d, %d members (sorted %v); want c%d with 100 sorted members",
				k, c.ID, c.Count, len(c.Members), slices.IsSorted(c.Members), k+1)
		}
		for _, m := range c.Members {
			seen[m] = c.ID
		}
	}
	for _, h := range r.Hosts {
		if seen[h.Name] != h.Class {
			t.Errorf("host %s says class %s, the classes list it in %s", h.Name, h.Class, seen[h.Name])
		}
	}
	// Broadwell and Cascade Lake have TSX; Milan and the TSX-off variant lack hle.
	lack := r.HostsLacking("hle")
	if len(lack) != 200 {
		t.Errorf("%d hosts lack hle, want 200 (Milan and TSX-off)", len(lack))
	}

	shuffled := slices.Clone(hosts)
	rand.New(rand.NewSource(5)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	r2, err := Compute(mustAcc(t, shuffled...), Request{Groups: []string{"old", "new"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, r2); d != "" {
		t.Errorf("the result depends on the order hosts were added (-first +shuffled):\n%s", d)
	}
}

// A requested model's blockers are built per class and named per host; the
// candidates shown name their blocking classes.
func TestClassBlockers(t *testing.T) {
	hosts := fleet(t, 8)
	r, err := Compute(mustAcc(t, hosts...), Request{Model: "Cascadelake-Server"})
	if err != nil {
		t.Fatal(err)
	}
	// Broadwell (hosts 0, 4) and Milan (2, 6) cannot run it; the TSX-off
	// Cascade Lakes (3, 7) lack hle and rtm.
	for i, h := range hosts {
		_, blocked := r.ModelBlockers[h.Name]
		if want := i%4 != 1; blocked != want {
			t.Errorf("%s (template %d): blocked %v, want %v", h.Name, i%4, blocked, want)
		}
	}
	if len(r.ModelBlockedClasses) != 3 {
		t.Errorf("blocked classes %v, want 3", r.ModelBlockedClasses)
	}
	if got := r.ModelBlockers["hv-00003"]; !slices.Equal(got, []string{"hle", "rtm"}) {
		t.Errorf("TSX-off host lacks %v, want [hle rtm]", got)
	}
	for _, c := range r.Candidates {
		if !c.Fits && len(c.BlockedClasses) == 0 {
			t.Errorf("candidate %s does not fit but names no blocking class", c.Model)
		}
	}
	rec, err := Compute(mustAcc(t, hosts...), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Rejected) == 0 {
		t.Fatal("no rejected better model: every model newer than the recommended one needs what some class lacks")
	}
	for _, c := range rec.Rejected {
		if c.Fits || len(c.BlockedClasses) == 0 || c.ExtraCount >= len(rec.ExtraFlags) {
			t.Errorf("rejected %s: fits %v, blocked classes %v, %d extra flags (the base model leaves %d)",
				c.Model, c.Fits, c.BlockedClasses, c.ExtraCount, len(rec.ExtraFlags))
		}
	}
}

// AddSame puts a host in the class of the named host without comparing its
// features; the result equals adding the same description with Add.
func TestAddSame(t *testing.T) {
	hosts := fleet(t, 12)
	viaAdd := mustAcc(t, hosts...)
	viaSame := &Accumulator{}
	first := map[int]string{}
	for i, h := range hosts {
		if as, ok := first[i%4]; ok {
			if err := viaSame.AddSame(h.Name, h.Group, as); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := viaSame.Add(h); err != nil {
			t.Fatal(err)
		}
		first[i%4] = h.Name
	}
	a, err := Compute(viaAdd, Request{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compute(viaSame, Request{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("AddSame and Add differ (-Add +AddSame):\n%s", d)
	}
	if err := viaSame.AddSame("x", "", "nobody"); err == nil {
		t.Error("AddSame like an unknown host must fail")
	}
	if err := viaSame.AddSame(hosts[0].Name, "", hosts[1].Name); err == nil {
		t.Error("AddSame with a name already added must fail")
	}
}

// The model fit per class agrees with a check of every host against every
// model on random clusters.
func TestClassFitMatchesPerHost(t *testing.T) {
	cat := cpumodels.Builtin()
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		base := fleet(t, 4)
		var hosts []Host
		for i := 0; i < 30; i++ {
			h := base[rng.Intn(4)]
			h.Features = slices.DeleteFunc(slices.Clone(h.Features), func(string) bool { return rng.Intn(40) == 0 })
			h.Name = fmt.Sprintf("h%02d", i)
			hosts = append(hosts, h)
		}
		a := mustAcc(t, hosts...)
		for _, c := range rankCandidates(cat, nil2names(), a, toSet(a.Common()), nil, newRequiredCache(a, ""), rankOptions{}) {
			m := cat.Models[c.Model]
			fits := true
			for _, h := range hosts {
				have := toSet(h.Features)
				for _, f := range required(m, h) {
					if !have[f] {
						fits = false
					}
				}
			}
			if fits != c.Fits {
				t.Fatalf("seed %d, %s: per-class fit %v, per-host %v", seed, c.Model, c.Fits, fits)
			}
		}
	}
}
