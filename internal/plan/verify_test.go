package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/plan"
)

func TestFingerprint(t *testing.T) {
	fp := func(f *hostfacts.Facts) string { return plan.Fingerprint(source("bdw-01", f)) }
	base := fp(capture(t, "bdw-01"))
	if base != fp(capture(t, "bdw-01")) {
		t.Fatal("fingerprint is not deterministic")
	}
	same := map[string][]func(string) string{
		// Not part of the fingerprint: they change nothing guests see.
		"leading zeros in microcode": {replace(t, "0xb00002a", "0x0b00002a")},
		"model name spacing":         {replace(t, "E5-2690 v4", "E5-2690  v4")},
		"a Linux-only flag":          {dropFlag(t, "constant_tsc")},
	}
	for name, edits := range same {
		if got := fp(capture(t, "bdw-01", edits...)); got != base {
			t.Errorf("%s changed the fingerprint", name)
		}
	}
	differ := map[string][]func(string) string{
		"new microcode":           {replace(t, "0xb00002a", "0xb000040")},
		"TSX off in the BIOS":     {dropFlag(t, "hle"), dropFlag(t, "rtm")},
		"another stepping":        {replace(t, "stepping\t: 1", "stepping\t: 2")},
		"another model name":      {replace(t, "E5-2690 v4", "E5-2697 v4")},
		"a guest-visible feature": {dropFlag(t, "avx2")},
	}
	for name, edits := range differ {
		if got := fp(capture(t, "bdw-01", edits...)); got == base {
			t.Errorf("%s did not change the fingerprint", name)
		}
	}
	f := capture(t, "bdw-01")
	f.LogicalCPUs = 2
	f.Source = "elsewhere.cpuinfo"
	if fp(f) != base {
		t.Error("logical CPU count or source changed the fingerprint")
	}
}

func TestVerifyGoodPlan(t *testing.T) {
	srcs := sources(t, "bdw-01", "clx-01", "rome-01")
	p := makePlan(t, srcs, plan.Request{})
	v := plan.Verify(p, sources(t, "bdw-01", "clx-01", "rome-01"))
	if !v.OK || len(v.Refusals) != 0 {
		t.Fatalf("good plan refused: %v", v.Refusals)
	}
	// A subset of the planned hosts may be rolled out.
	if v := plan.Verify(p, sources(t, "clx-01")); !v.OK {
		t.Errorf("subset refused: %v", v.Refusals)
	}
	if msg := v.Message(p); !strings.Contains(msg, "holds for 3 host(s)") || !strings.Contains(msg, p.Model) {
		t.Errorf("message %q", msg)
	}
}

func TestVerifyRefuses(t *testing.T) {
	// Cascadelake-Server named over Broadwell + Cascade Lake: blocked on bdw-01.
	blocked := makePlan(t, sources(t, "bdw-01", "clx-01"), plan.Request{Model: "Cascadelake-Server"})
	if _, ok := blocked.Blockers["bdw-01"]; !ok {
		t.Fatalf("test premise: Cascadelake-Server is not blocked on bdw-01: %v", blocked.Blockers)
	}
	good := makePlan(t, sources(t, "bdw-01", "clx-01"), plan.Request{})

	cases := []struct {
		name    string
		plan    *plan.Plan
		current []plan.Source
		want    []plan.Refusal // host and a fragment of the reason
	}{
		{"blocked plan", blocked, sources(t, "clx-01"),
			[]plan.Refusal{{Host: "bdw-01", Reason: "base model Cascadelake-Server cannot run on this host (lacking "}}},
		{"host not in the plan", good, sources(t, "clx-01", "rome-01"),
			[]plan.Refusal{{Host: "rome-01", Reason: "not in the plan (it covers bdw-01, clx-01)"}}},
		{"new microcode", good, []plan.Source{source("bdw-01", capture(t, "bdw-01", replace(t, "0xb00002a", "0xb000040")))},
			[]plan.Refusal{{Host: "bdw-01", Reason: "changed since the plan was made (microcode 0xb00002a -> 0xb000040)"}}},
		{"TSX switched off", good, []plan.Source{source("bdw-01", capture(t, "bdw-01", dropFlag(t, "hle"), dropFlag(t, "rtm")))},
			[]plan.Refusal{{Host: "bdw-01", Reason: "features lost: hle, rtm"}}},
		{"no facts", good, []plan.Source{{Name: "clx-01"}},
			[]plan.Refusal{{Host: "clx-01", Reason: "no current CPU facts"}}},
		{"no hosts", good, nil, []plan.Refusal{{Reason: "no hosts to roll out to"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := plan.Verify(c.plan, c.current)
			if v.OK {
				t.Fatal("plan accepted")
			}
			if len(v.Refusals) != len(c.want) {
				t.Fatalf("refusals %v, want %d", v.Refusals, len(c.want))
			}
			for i, w := range c.want {
				got := v.Refusals[i]
				if got.Host != w.Host || !strings.Contains(got.Reason, w.Reason) {
					t.Errorf("refusal %d: %s, want host %q with %q", i, got, w.Host, w.Reason)
				}
			}
			if msg := v.Message(c.plan); !strings.Contains(msg, "before touching any host") {
				t.Errorf("message %q", msg)
			}
		})
	}
}

func TestVerifyCollectsEveryReason(t *testing.T) {
	blocked := makePlan(t, sources(t, "bdw-01", "clx-01"), plan.Request{Model: "Cascadelake-Server"})
	current := []plan.Source{
		source("rome-01", capture(t, "rome-01")),
		source("clx-01", capture(t, "clx-01", replace(t, "0x5000021", "0x5003102"))),
	}
	v := plan.Verify(blocked, current)
	var hosts []string
	for _, r := range v.Refusals {
		hosts = append(hosts, r.Host)
	}
	if !cmp.Equal(hosts, []string{"bdw-01", "clx-01", "rome-01"}) {
		t.Errorf("refusals for %v: %v", hosts, v.Refusals)
	}
}
