package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvm-migration/cpuflags/internal/plan"
)

func hostDrift(t *testing.T, r *plan.DriftReport, name string) plan.HostDrift {
	t.Helper()
	for _, d := range r.Hosts {
		if d.Host == name {
			return d
		}
	}
	t.Fatalf("no %s in the drift report", name)
	return plan.HostDrift{}
}

func TestDriftUnchanged(t *testing.T) {
	p := makePlan(t, sources(t, "bdw-01", "clx-01", "rome-01"), plan.Request{})
	r, err := plan.Drift(p, sources(t, "bdw-01", "clx-01", "rome-01"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Unchanged || !r.Holds {
		t.Fatalf("unchanged %v holds %v: %v", r.Unchanged, r.Holds, r.Summary)
	}
	if last := r.Summary[len(r.Summary)-1]; !strings.Contains(last, "the plan still holds") {
		t.Errorf("summary %q", last)
	}
}

func TestDriftNamesTheChange(t *testing.T) {
	p := makePlan(t, sources(t, "bdw-01", "clx-01", "rome-01"), plan.Request{})
	if !contains(p.Flags, "avx2") && !contains(p.Hosts["bdw-01"].Features, "avx2") {
		t.Fatalf("test premise: avx2 is neither planned nor on bdw-01")
	}
	current := []plan.Source{
		// New microcode that also removes TSX (as Intel's TAA updates did).
		source("bdw-01", capture(t, "bdw-01", replace(t, "0xb00002a", "0xb000040"), dropFlag(t, "hle"), dropFlag(t, "rtm"))),
		// A BIOS setting: same CPU and microcode, AVX2 gone.
		source("clx-01", capture(t, "clx-01", dropFlag(t, "avx2"))),
		// rome-01's board replaced by a Milan one.
		source("rome-01", capture(t, "milan-01")),
		// A host nobody planned for.
		source("genoa-01", capture(t, "genoa-01")),
	}
	r, err := plan.Drift(p, current)
	if err != nil {
		t.Fatal(err)
	}
	if r.Unchanged {
		t.Error("report says unchanged")
	}

	bdw := hostDrift(t, r, "bdw-01")
	if bdw.Status != plan.StatusChanged || bdw.Cause != "new microcode" {
		t.Errorf("bdw-01 %s (%s)", bdw.Status, bdw.Cause)
	}
	wantBdw := []plan.Change{
		{What: "microcode", Before: "0xb00002a", After: "0xb000040", Fingerprinted: true},
		{What: "features", Lost: []string{"hle", "rtm"}, Fingerprinted: true},
	}
	if diff := cmp.Diff(wantBdw, bdw.Changes); diff != "" {
		t.Errorf("bdw-01 changes (-want +got):\n%s", diff)
	}

	clx := hostDrift(t, r, "clx-01")
	if clx.Status != plan.StatusChanged || !strings.HasPrefix(clx.Cause, "a BIOS setting") {
		t.Errorf("clx-01 %s (%s)", clx.Status, clx.Cause)
	}
	if len(clx.Changes) != 1 || !cmp.Equal(clx.Changes[0].Lost, []string{"avx2"}) {
		t.Errorf("clx-01 changes %+v", clx.Changes)
	}
	// AVX2 is in the plan (as a model feature or an extra flag): the plan
	// no longer fits clx-01.
	if clx.Fits || !contains(clx.Lacking, "avx2") {
		t.Errorf("clx-01 fits %v lacking %v", clx.Fits, clx.Lacking)
	}

	rome := hostDrift(t, r, "rome-01")
	if rome.Status != plan.StatusChanged || rome.Cause != "replaced host or CPU" {
		t.Errorf("rome-01 %s (%s) %+v", rome.Status, rome.Cause, rome.Changes)
	}
	if rome.Changes[0].What != "cpu" && rome.Changes[0].What != "model_name" {
		t.Errorf("rome-01 first change %+v", rome.Changes[0])
	}

	genoa := hostDrift(t, r, "genoa-01")
	if genoa.Status != plan.StatusNew {
		t.Errorf("genoa-01 %s", genoa.Status)
	}
	if r.Holds {
		t.Error("the plan holds although clx-01 lost avx2")
	}
	text := strings.Join(r.Summary, "\n")
	for _, want := range []string{
		"bdw-01 changed (new microcode): microcode 0xb00002a -> 0xb000040; features lost: hle, rtm",
		"clx-01 can no longer run the plan: lacking avx2",
		"genoa-01 is not in the plan",
		"the plan no longer holds",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

func TestDriftChangedButHolds(t *testing.T) {
	p := makePlan(t, sources(t, "bdw-01", "clx-01"), plan.Request{})
	current := []plan.Source{
		source("bdw-01", capture(t, "bdw-01", replace(t, "0xb00002a", "0xb000040"))),
		source("clx-01", capture(t, "clx-01")),
	}
	r, err := plan.Drift(p, current)
	if err != nil {
		t.Fatal(err)
	}
	if r.Unchanged || !r.Holds {
		t.Fatalf("unchanged %v holds %v", r.Unchanged, r.Holds)
	}
	if last := r.Summary[len(r.Summary)-1]; !strings.Contains(last, "still fit every host given, but the rollout refuses") {
		t.Errorf("summary %q", last)
	}
}

func TestDriftMissingHost(t *testing.T) {
	p := makePlan(t, sources(t, "bdw-01", "clx-01"), plan.Request{})
	r, err := plan.Drift(p, sources(t, "clx-01"))
	if err != nil {
		t.Fatal(err)
	}
	if d := hostDrift(t, r, "bdw-01"); d.Status != plan.StatusMissing {
		t.Errorf("bdw-01 %s", d.Status)
	}
	if !r.Unchanged || !r.Holds {
		t.Errorf("a host not given made the report changed: %v", r.Summary)
	}
}

func TestDriftBlockedPlan(t *testing.T) {
	p := makePlan(t, sources(t, "bdw-01", "clx-01"), plan.Request{Model: "Cascadelake-Server"})
	r, err := plan.Drift(p, sources(t, "bdw-01", "clx-01"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Holds || !r.Unchanged {
		t.Errorf("holds %v unchanged %v", r.Holds, r.Unchanged)
	}
	if d := hostDrift(t, r, "bdw-01"); d.Fits || len(d.Lacking) == 0 {
		t.Errorf("bdw-01 %+v", d)
	}
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}
