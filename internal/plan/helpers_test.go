package plan_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvm-migration/cpuflags/internal/clusterrun"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/plan"
)

// demo maps the demo inventory's host names to their real captures
// (examples/demo/cpus, reviewed data copied from ../shared/ref/samples).
var demo = map[string]string{
	"bdw-01":   "intel-xeon-e5-2690v4-broadwell-ep.cpuinfo",
	"clx-01":   "intel-xeon-gold-6230-cascadelake.cpuinfo",
	"rome-01":  "amd-epyc-7742-rome.lscpu",
	"milan-01": "amd-epyc-7443p-milan-baremetal.lscpu.json",
	"genoa-01": "amd-epyc-9654-genoa.cpuinfo",
	"spr-01":   "intel-xeon-platinum-8480plus-sapphirerapids.cpuinfo",
}

var testTime = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// capture loads a demo host's facts through the real parser, after applying
// text edits to the capture (e.g. another microcode line).
func capture(t testing.TB, host string, edits ...func(string) string) *hostfacts.Facts {
	t.Helper()
	file, ok := demo[host]
	if !ok {
		t.Fatalf("no demo host %s", host)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "demo", "cpus", file))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, e := range edits {
		text = e(text)
	}
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := hostfacts.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	f.Source = file // the temp path differs per test; keep the recorded source stable
	return f
}

// replace returns an edit replacing every old with new, failing the test
// when the capture has no old (the edit would silently do nothing).
func replace(t testing.TB, old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("capture has no %q", old)
		}
		return strings.ReplaceAll(s, old, new)
	}
}

// dropFlag removes one Linux flag from every flags line of a cpuinfo capture.
func dropFlag(t testing.TB, flag string) func(string) string {
	return func(s string) string {
		lines := strings.Split(s, "\n")
		n := 0
		for i, l := range lines {
			if !strings.HasPrefix(l, "flags") {
				continue
			}
			fields := strings.Fields(l)
			var kept []string
			for _, f := range fields {
				if f != flag {
					kept = append(kept, f)
				}
			}
			if len(kept) != len(fields) {
				n++
			}
			lines[i] = strings.Join(kept, " ")
		}
		if n == 0 {
			t.Fatalf("capture has no flag %s", flag)
		}
		return strings.Join(lines, "\n")
	}
}

// source is one host as the rollout and drift see it: its facts and guest
// view, built by clusterrun as the modules build them.
func source(name string, f *hostfacts.Facts) plan.Source {
	return clusterrun.PlanSource(name, "", f)
}

func sources(t testing.TB, hosts ...string) []plan.Source {
	t.Helper()
	var out []plan.Source
	for _, h := range hosts {
		out = append(out, source(h, capture(t, h)))
	}
	return out
}

// makePlan runs the real baseline over srcs and builds the plan, as
// cpu_flags_common and cpuflags common do.
func makePlan(t testing.TB, srcs []plan.Source, req plan.Request) *plan.Plan {
	t.Helper()
	return makePlanAt(t, srcs, req, testTime)
}

func makePlanAt(t testing.TB, srcs []plan.Source, req plan.Request, now time.Time) *plan.Plan {
	t.Helper()
	in := clusterrun.Input{Model: req.Model, Groups: req.Groups, NovaRelease: req.NovaRelease}
	for _, s := range srcs {
		in.Hosts = append(in.Hosts, clusterrun.Host{Name: s.Name, Group: s.Group, Facts: s.Facts})
	}
	res, err := clusterrun.Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	p, err := clusterrun.Plan(in, res, now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
