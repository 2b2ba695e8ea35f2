package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvm-migration/cpuflags/internal/novaservice"
	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// fakeController is a FAKE nova-compute: Restart logs the accept marker, or
// the InvalidCPUInfo line when nova.conf names a flag in bad.
type fakeController struct {
	mu   sync.Mutex
	conf string
	log  string
	bad  []string
	// refuse, when set, names a flag nova.conf is refused for ("": accepted).
	refuse   func(conf string) string
	running  bool
	restarts int
}

func (f *fakeController) Restart(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restarts++
	data, _ := os.ReadFile(f.conf)
	line := "INFO nova.compute.manager [-] " + novaservice.AcceptMarker + "\n"
	f.running = true
	if f.refuse != nil {
		if r := f.refuse(string(data)); r != "" {
			line = "ERROR oslo_service.service [-] Error starting thread.: nova.exception.InvalidCPUInfo: CPU Flags ['" + r + "'] ar not compatible\n"
			f.running = false
		}
	}
	for _, b := range f.bad {
		if strings.Contains(string(data), b) {
			line = "ERROR oslo_service.service [-] Error starting thread.: nova.exception.InvalidCPUInfo: CPU Flags ['" + b + "'] ar not compatible\n"
			f.running = false
		}
	}
	lf, err := os.OpenFile(f.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	_, err = lf.WriteString(line)
	return err
}

func (f *fakeController) Running(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running, nil
}

const origConf = "[DEFAULT]\ntransport_url = rabbit://guest:secret@x/\n\n[libvirt]\ncpu_mode = custom\ncpu_models = Westmere\n"

func setup(t *testing.T, bad ...string) (string, *fakeController, Options) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nova.conf")
	if err := os.WriteFile(conf, []byte(origConf), 0o640); err != nil {
		t.Fatal(err)
	}
	ctl := &fakeController{conf: conf, log: filepath.Join(dir, "nova-compute.log"), bad: bad}
	o := Options{
		Model: "Westmere", ConfPath: conf, Controller: ctl, Check: NovaCheck{Check: prober.CheckNone},
		Service: novaservice.Spec{Kind: novaservice.KindCommand, RestartCommand: []string{"true"}, StatusCommand: []string{"true"}, LogPath: ctl.log},
		Wait:    novaservice.WaitOptions{Grace: 50 * time.Millisecond, Poll: 10 * time.Millisecond, ExitConfirm: 50 * time.Millisecond},
		Timeout: 10 * time.Second, LockWait: time.Second,
	}
	return conf, ctl, o
}

func TestRunStaleJournalRecoveredFirst(t *testing.T) {
	conf, ctl, o := setup(t)
	// A probe that died: journal armed, nova.conf edited, lock released.
	g, err := Lock(context.Background(), conf, time.Second)
	noErr(t, err)
	noErr(t, g.Arm([]byte(origConf), o.Service, time.Minute))
	trial := []byte(origConf + "cpu_model_extra_flags = avx512f\n")
	noErr(t, g.NoteWrite(trial))
	noErr(t, os.WriteFile(conf, trial, 0o640))
	g.Unlock()

	o.Strategy, o.Candidates = StrategyLibvirt, []string{"pcid"}
	rep, err := Run(context.Background(), o)
	noErr(t, err)
	length(t, rep.Recovered, 1, "the stale journal is recovered and reported")
	eq(t, true, rep.Recovered[0].Restored)
	got, _ := os.ReadFile(conf)
	eq(t, origConf, string(got), "nova.conf restored")
	eq(t, 1, ctl.restarts, "one recovery restart, none for the libvirt strategy")
	if _, err := os.Stat(JournalPath(conf)); !os.IsNotExist(err) {
		t.Error("journal left behind")
	}
}

func TestRunApplyAndRestore(t *testing.T) {
	tests := []struct {
		name, reason, strategy string
		apply                  bool
		wantConf               string
		wantRestarts           int
	}{
		{name: "bisect apply", reason: "4 trials; the last (pcid,x2apic) was accepted and is the final set, so no extra restart",
			strategy: StrategyBisect, apply: true, wantConf: origConf + "cpu_model_extra_flags = pcid,x2apic\n", wantRestarts: 4},
		{name: "one_by_one restore", reason: "3 trials plus one restart on the original",
			strategy: StrategyOneByOne, apply: false, wantConf: origConf, wantRestarts: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, ctl, o := setup(t, "avx512f")
			o.Strategy, o.Apply, o.Candidates = tt.strategy, tt.apply, []string{"pcid", "avx512f", "x2apic"}
			rep, err := Run(context.Background(), o)
			noErr(t, err)
			eq(t, []string{"pcid", "x2apic"}, rep.Accepted)
			has(t, rep.Rejected["avx512f"].Reason, "InvalidCPUInfo")
			got, _ := os.ReadFile(conf)
			eq(t, tt.wantConf, string(got), tt.reason)
			eq(t, tt.wantRestarts, rep.Restarts, tt.reason)
			eq(t, ctl.restarts, rep.Restarts, "every restart is counted")
			eq(t, true, ctl.running, "nova-compute ends running")
			if strings.Contains(rep.Diff, "secret") {
				t.Errorf("diff leaks a secret: %s", rep.Diff)
			}
			if _, err := os.Stat(JournalPath(conf)); !os.IsNotExist(err) {
				t.Error("journal left behind")
			}
		})
	}
}

func TestRunRollbackOnUnstable(t *testing.T) {
	conf, ctl, o := setup(t)
	o.Strategy, o.Candidates = StrategyBisect, []string{"pcid"}
	// The FAKE nova-compute dies without a refusal on every probe restart.
	calls := 0
	o.BeforeRestart = func() {
		calls++
		if calls <= 2 {
			go func() {
				time.Sleep(5 * time.Millisecond)
				ctl.mu.Lock()
				ctl.running = false
				ctl.mu.Unlock()
			}()
		}
	}
	o.Wait.Grace = 300 * time.Millisecond
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "without refusing") || !strings.Contains(err.Error(), "restored to its original content") {
		t.Fatalf("want an unstable failure with a rollback, got %v", err)
	}
	got, _ := os.ReadFile(conf)
	eq(t, origConf, string(got))
	eq(t, 3, ctl.restarts, "two attempts and the rollback restart")
}

func TestReadConfValues(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.conf")
	b := filepath.Join(dir, "b.conf")
	os.WriteFile(a, []byte("[LIBVIRT]\nvirt_type = qemu\nconnection_uri = qemu:///system?socket=/x\n[workarounds]\nskip_cpu_compare_at_startup = True\n"), 0o600)
	os.WriteFile(b, []byte("[libvirt]\nvirt_type: kvm\n"), 0o600)
	v := ReadConfValues([]string{a, b, filepath.Join(dir, "missing")})
	eq(t, ConfValues{VirtType: "kvm", ConnectionURI: "qemu:///system?socket=/x", SkipCompareAtStartup: true}, v, "later files win; sections any case")
	eq(t, "kvm", ReadConfValues(nil).VirtType, "Nova's default")
}

func FuzzReadConfValues(f *testing.F) {
	f.Add("[libvirt]\nvirt_type = kvm\n")
	f.Add("[workarounds]\nskip_cpu_compare_at_startup=1\n[")
	f.Add("=\n[]\n:")
	f.Fuzz(func(t *testing.T, in string) {
		p := filepath.Join(t.TempDir(), "n.conf")
		if err := os.WriteFile(p, []byte(in), 0o600); err != nil {
			t.Skip()
		}
		_ = ReadConfValues([]string{p})
	})
}

// TestRunAuto: Run's auto strategy is Auto (the predictor's refusals keep
// its reason, nova-compute's confirmation is bisected), then finish restores
// the original nova.conf.
func TestRunAuto(t *testing.T) {
	conf, ctl, o := setup(t, "x2apic")
	o.Strategy, o.Candidates = StrategyAuto, []string{"pcid", "avx512f", "x2apic"}
	o.Predictor = newFake("libvirt", "avx512f")
	rep, err := Run(context.Background(), o)
	noErr(t, err)
	eq(t, []string{"pcid"}, rep.Accepted)
	eq(t, "libvirt", rep.Rejected["avx512f"].By, "refused by the prediction")
	eq(t, "nova-compute restart", rep.Rejected["x2apic"].By, "refused by nova-compute after the confirmation failed")
	eq(t, 3, rep.Restarts, "the refused confirmation, pcid alone, and the original nova.conf")
	eq(t, ctl.restarts, rep.Restarts, "every restart is counted")
	got, _ := os.ReadFile(conf)
	eq(t, origConf, string(got), "without apply nova.conf ends as it was")
	eq(t, "", rep.Confirmed, "the fake controller names no PID: no skipped confirmation")
}
