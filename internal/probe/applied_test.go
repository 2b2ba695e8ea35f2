package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

// pidController is a FAKE nova-compute that names a PID: this test
// process, whose start time /proc gives (processStart is the real code).
type pidController struct {
	running bool
	pid     int
}

func (c *pidController) Restart(context.Context) error           { return nil }
func (c *pidController) Running(context.Context) (bool, error)   { return c.running, nil }
func (c *pidController) PID(context.Context) (int, error)        { return c.pid, nil }
func (c *noPIDController) Restart(context.Context) error         { return nil }
func (c *noPIDController) Running(context.Context) (bool, error) { return c.running, nil }

// noPIDController is a FAKE nova-compute without a PID source (kind command).
type noPIDController struct{ running bool }

// TestAlreadyApplied decides "already applied" on real files: nova.conf,
// nova-compute.conf and a nova.conf.d directory written to a temporary
// directory, their modification times set before or after the start of a
// real process (this test binary).
func TestAlreadyApplied(t *testing.T) {
	self, err := processStart(os.Getpid())
	noErr(t, err)
	before, after := self.Add(-time.Hour), time.Now().Add(time.Hour)
	const onPlan = "[DEFAULT]\ntransport_url = rabbit://guest:secret@x/\n[libvirt]\ncpu_mode = custom\ncpu_models = Westmere\ncpu_model_extra_flags = pcid,x2apic\n"
	type file struct {
		name, content string
		mtime         time.Time
	}
	running := &pidController{running: true, pid: os.Getpid()}
	cases := []struct {
		name    string
		files   []file
		flags   []string
		ctl     novaservice.Controller
		journal bool
		want    bool
		why     string
	}{
		{name: "exactly the plan, started after", files: []file{{"nova.conf", onPlan, before}}, flags: []string{"pcid", "x2apic"},
			want: true, why: "started at"},
		{name: "flags in another order and case", files: []file{{"nova.conf", strings.Replace(onPlan, "pcid,x2apic", "X2APIC, pcid,", 1), before}},
			flags: []string{"pcid", "x2apic"}, want: true, why: "after its configuration was last written"},
		{name: "a flag missing (part-way)", files: []file{{"nova.conf", strings.Replace(onPlan, "pcid,x2apic", "pcid", 1), before}},
			flags: []string{"pcid", "x2apic"}, why: "flags missing: x2apic"},
		{name: "a flag too many", files: []file{{"nova.conf", onPlan, before}}, flags: []string{"pcid"}, why: "flags not wanted: x2apic"},
		{name: "another model", files: []file{{"nova.conf", onPlan, before}}, flags: []string{"pcid", "x2apic"}, why: "the models are [Westmere], not [Nehalem]"},
		{name: "host-model", files: []file{{"nova.conf", strings.Replace(onPlan, "custom", "host-model", 1), before}},
			flags: []string{"pcid", "x2apic"}, why: `cpu_mode is "host-model"`},
		{name: "nova-compute.conf sets the flags that nova.conf lacks", files: []file{
			{"nova.conf", strings.Replace(onPlan, "cpu_model_extra_flags = pcid,x2apic\n", "", 1), before},
			{"nova-compute.conf", "[libvirt]\ncpu_model_extra_flags = pcid,x2apic\n", before}},
			flags: []string{"pcid", "x2apic"}, want: true},
		{name: "nova.conf.d overrides with other flags", files: []file{
			{"nova.conf", onPlan, before}, {"nova.conf.d/50-cpu.conf", "[libvirt]\ncpu_model_extra_flags = pcid\n", before}},
			flags: []string{"pcid", "x2apic"}, why: "cpu_model_extra_flags from "},
		{name: "nova-compute started before nova.conf was written", files: []file{{"nova.conf", onPlan, after}},
			flags: []string{"pcid", "x2apic"}, why: "before its configuration was last written"},
		{name: "started before nova-compute.conf was written", files: []file{{"nova.conf", onPlan, before}, {"nova-compute.conf", "[DEFAULT]\ndebug = true\n", after}},
			flags: []string{"pcid", "x2apic"}, why: "before its configuration was last written"},
		{name: "nova-compute stopped", files: []file{{"nova.conf", onPlan, before}}, flags: []string{"pcid", "x2apic"},
			ctl: &pidController{pid: 0}, why: "nova-compute is not running"},
		{name: "no PID source, running", files: []file{{"nova.conf", onPlan, after}}, flags: []string{"pcid", "x2apic"},
			ctl: &noPIDController{running: true}, want: true, why: "no PID to compare"},
		{name: "no PID source, stopped", files: []file{{"nova.conf", onPlan, before}}, flags: []string{"pcid", "x2apic"},
			ctl: &noPIDController{}, why: "not running"},
		{name: "an interrupted probe's journal", files: []file{{"nova.conf", onPlan, before}}, flags: []string{"pcid", "x2apic"},
			journal: true, why: "was interrupted"},
		{name: "a damaged nova-compute.conf", files: []file{{"nova.conf", onPlan, before}, {"nova-compute.conf", "[libvirt\n", before}},
			flags: []string{"pcid", "x2apic"}, why: "parse "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			noErr(t, os.Mkdir(filepath.Join(dir, "nova.conf.d"), 0o755))
			for _, f := range c.files {
				p := filepath.Join(dir, f.name)
				noErr(t, os.WriteFile(p, []byte(f.content), 0o640))
				noErr(t, os.Chtimes(p, f.mtime, f.mtime))
			}
			d := filepath.Join(dir, "nova.conf.d")
			noErr(t, os.Chtimes(d, before, before))
			conf := filepath.Join(dir, "nova.conf")
			if c.journal {
				noErr(t, os.WriteFile(JournalPath(conf), []byte("{}"), 0o600))
			}
			model := "Westmere"
			if c.name == "another model" {
				model = "Nehalem"
			}
			ctl := c.ctl
			if ctl == nil {
				ctl = running
			}
			got := AlreadyApplied(context.Background(), ctl, conf, []string{filepath.Join(dir, "nova-compute.conf"), d}, model, c.flags)
			if diff := cmp.Diff(c.want, got.OK); diff != "" {
				t.Errorf("OK (-want +got):\n%s\nwhy: %s", diff, got.Why)
			}
			if !strings.Contains(got.Why, c.why) {
				t.Errorf("why %q does not say %q", got.Why, c.why)
			}
			if strings.Contains(got.Why, "secret") {
				t.Errorf("why leaks a value of nova.conf: %s", got.Why)
			}
		})
	}
}

// TestRunAlreadyApplied: Run on a host already on model+flags makes no
// trial, no write and no restart, with and without apply and in check mode;
// a host part-way is finished.
func TestRunAlreadyApplied(t *testing.T) {
	const applied = origConf + "cpu_model_extra_flags = pcid,x2apic\n"
	for _, c := range []struct {
		name      string
		conf      string
		apply     bool
		check     bool
		running   bool
		wantSkip  bool
		wantRest  int
		wantTrial int
		wantConf  string
	}{
		{name: "probe, applied", conf: applied, running: true, wantSkip: true, wantConf: applied},
		{name: "apply, applied", conf: applied, apply: true, running: true, wantSkip: true, wantConf: applied},
		{name: "check mode, applied", conf: applied, apply: true, check: true, running: true, wantSkip: true, wantConf: applied},
		// Part-way: one flag of two. The predictor is asked (each flag, then
		// both), one restart confirms, and nova-compute runs on the result.
		{name: "apply, part-way", conf: origConf + "cpu_model_extra_flags = pcid\n", apply: true, running: true, wantRest: 1, wantTrial: 3, wantConf: applied},
		// On the plan but stopped: not skipped; started by the confirming restart.
		{name: "apply, applied but stopped", conf: applied, apply: true, wantRest: 1, wantTrial: 3, wantConf: applied},
	} {
		t.Run(c.name, func(t *testing.T) {
			conf, ctl, o := setup(t)
			noErr(t, os.WriteFile(conf, []byte(c.conf), 0o640))
			ctl.running = c.running
			pred := newFake("libvirt")
			o.Strategy, o.Candidates, o.Apply, o.RequireAll, o.CheckMode, o.Predictor = StrategyAuto, []string{"pcid", "x2apic"}, c.apply, c.apply, c.check, pred
			rep, err := Run(context.Background(), o)
			noErr(t, err)
			got := struct {
				Skipped  bool
				Accepted []string
				Restarts int
				Trials   int // the predictor's
				Conf     string
			}{rep.AlreadyApplied != "", rep.Accepted, ctl.restarts, len(pred.trials), ""}
			b, _ := os.ReadFile(conf)
			got.Conf = string(b)
			want := got
			want.Skipped, want.Accepted, want.Restarts, want.Trials, want.Conf = c.wantSkip, []string{"pcid", "x2apic"}, c.wantRest, c.wantTrial, c.wantConf
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if c.wantSkip && (rep.Changed || len(rep.Steps) != 0) {
				t.Errorf("skipped but changed=%v steps=%v", rep.Changed, rep.Steps)
			}
			if !c.check {
				if up, _ := ctl.Running(context.Background()); !up {
					t.Error("nova-compute left stopped")
				}
			}
		})
	}
}

// TestRunStartsStoppedNovaCompute: a strategy that restarts nothing
// (libvirt) on a host whose nova.conf is already final but whose
// nova-compute is stopped still leaves it running; check mode says so.
func TestRunStartsStoppedNovaCompute(t *testing.T) {
	conf, ctl, o := setup(t)
	const applied = origConf + "cpu_model_extra_flags = pcid\n"
	noErr(t, os.WriteFile(conf, []byte(applied), 0o640))
	o.Strategy, o.Candidates, o.Apply, o.Predictor = StrategyLibvirt, []string{"pcid"}, true, newFake("libvirt")

	o.CheckMode = true
	rep, err := Run(context.Background(), o)
	noErr(t, err)
	eq(t, true, rep.Changed, "check mode: a real run would start nova-compute")
	has(t, strings.Join(rep.Warnings, "\n"), "a real run starts it")
	eq(t, 0, ctl.restarts)

	o.CheckMode = false
	rep, err = Run(context.Background(), o)
	noErr(t, err)
	eq(t, true, rep.Started)
	eq(t, true, rep.Changed)
	eq(t, 1, ctl.restarts)
	eq(t, true, ctl.running)
	b, _ := os.ReadFile(conf)
	eq(t, applied, string(b))
}

// TestRunInterruptedProbeCheckMode: check mode after an interrupted probe
// shows the change from the backup a real run restores first, and says so.
func TestRunInterruptedProbeCheckMode(t *testing.T) {
	conf, ctl, o := setup(t)
	ctl.running = true
	g, err := Lock(context.Background(), conf, time.Second)
	noErr(t, err)
	noErr(t, g.Arm([]byte(origConf), o.Service, time.Minute))
	// The trial the probe died in: the plan's flags plus one more.
	noErr(t, os.WriteFile(conf, []byte(origConf+"cpu_model_extra_flags = pcid,x2apic,avx512f\n"), 0o640))
	g.Unlock()
	o.Strategy, o.Candidates, o.Apply, o.CheckMode, o.Predictor = StrategyAuto, []string{"pcid", "x2apic"}, true, true, newFake("libvirt")
	rep, err := Run(context.Background(), o)
	noErr(t, err)
	eq(t, "", rep.AlreadyApplied)
	has(t, strings.Join(rep.Warnings, "\n"), "was interrupted and left its journal")
	has(t, rep.Diff, "+cpu_model_extra_flags = pcid,x2apic")
	if strings.Contains(rep.Diff, "avx512f") {
		t.Errorf("the diff is from the interrupted trial, not the backup:\n%s", rep.Diff)
	}
	eq(t, 0, ctl.restarts)
}
