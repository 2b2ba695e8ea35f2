package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// Options configure Run.
type Options struct {
	// Model is the base CPU model (cpu_models).
	Model string
	// Candidates are the flags to decide on, in any spelling Normalize understands.
	Candidates []string
	// Disabled are features of Model the guest does not get (a plan's
	// disabled flags, libvirt's policy='disable'): part of every trial and
	// written as "-name" in cpu_model_extra_flags (Wallaby and later). They
	// are not decided on: a host that refuses the model with them refuses
	// the base.
	Disabled []string
	// Strategy is auto, libvirt, nova, bisect, one_by_one or plugin:NAME.
	Strategy string
	// Apply writes the accepted flags and leaves nova-compute running on them;
	// otherwise the original nova.conf is restored.
	Apply bool
	// RequireAll applies only when every candidate is accepted; otherwise the
	// original nova.conf is restored and Run fails naming the refused flags.
	// A rollout uses it: every host must end with the same flags.
	RequireAll bool
	// CheckMode changes nothing: only the non-restarting predictor is asked.
	CheckMode bool
	// ConfPath is nova.conf.
	ConfPath string
	// ExtraConfigFiles are other files/dirs nova-compute reads after ConfPath.
	ExtraConfigFiles []string
	// Service controls nova-compute; Service.LogPath is its log.
	Service novaservice.Spec
	// Controller overrides novaservice.New(Service) (tests).
	Controller novaservice.Controller
	// Check is the resolved start-up comparison.
	Check NovaCheck
	// LibvirtURI is the connection nova-compute uses.
	LibvirtURI string
	// Libvirt asks libvirt (its Runner defaults to virsh on LibvirtURI).
	Libvirt libvirt.Client
	// Predictor replaces the libvirt predictor (plugin:NAME).
	Predictor Prober
	// PluginOptions are passed to every trial.
	PluginOptions map[string]string
	// Timeout bounds one restart-and-wait.
	Timeout time.Duration
	// Wait tunes the acceptance check.
	Wait novaservice.WaitOptions
	// LockWait bounds the wait for another probe's lock.
	LockWait time.Duration
	// Spawn starts the detached watchdog for the journal (nil: no watchdog).
	Spawn func(journalPath string) error
	// Progress receives one line per step (stderr logging).
	Progress func(string)
	// BeforeRestart is passed to the NovaProber (fault-injection tests).
	BeforeRestart func()
	// ModelsKey is the option naming the model: cpu_models, or cpu_model for
	// Nova before Train (Prepare sets it from the Nova version; "" is cpu_models).
	ModelsKey string
	// VirtType is [libvirt] virt_type (Prepare reads it; "" is kvm).
	VirtType string
	// Models lists the CPU models the host's libvirt defines (nil: its
	// domain capabilities; the built-in catalog when libvirt does not answer).
	Models ModelLister
}

// Rejected is one rejected flag in the report.
type Rejected struct {
	// Given is the operator's spelling.
	Given string `json:"given"`
	Rejection
}

// Report is the result of Run.
type Report struct {
	Accepted []string `json:"accepted"`
	// Disabled are the model's disabled features as written ("-name").
	Disabled   []string            `json:"disabled"`
	Rejected   map[string]Rejected `json:"rejected"`
	Candidates []Candidate         `json:"candidates"`
	Restarts   int                 `json:"restarts"`
	Strategy   string              `json:"strategy"`
	NovaCheck  NovaCheck           `json:"nova_check"`
	Steps      []Step              `json:"steps"`
	Changed    bool                `json:"changed"`
	Diff       string              `json:"-"`
	Before     []byte              `json:"-"`
	After      []byte              `json:"-"`
	Backup     string              `json:"backup,omitempty"`
	Recovered  []Recovery          `json:"recovered,omitempty"`
	Confirmed  string              `json:"confirmed,omitempty"`
	// AlreadyApplied says why nothing was tried or restarted: nova-compute
	// already runs on exactly the model and candidates (AlreadyApplied).
	AlreadyApplied string `json:"already_applied,omitempty"`
	// Started is set when nova-compute was found stopped and was started
	// on the final nova.conf.
	Started  bool     `json:"started,omitempty"`
	Warnings []string `json:"-"`
}

// Run probes, then leaves nova-compute on the original nova.conf (or, with
// Apply, on the accepted flags), running. Whatever fails in between, it
// restores the original configuration and restarts nova-compute before
// returning; a kill of the process is covered by the watchdog.
//
// It runs in four steps: plan reads and checks everything without touching
// the host; lock takes the probe lock and recovers what a dead probe left;
// decide runs the strategy; finish writes the final nova.conf (rollback
// restores the original when deciding or finishing fails).
func Run(ctx context.Context, o Options) (*Report, error) {
	p, err := plan(ctx, o)
	defer p.close()
	if err != nil {
		return p.rep, err
	}
	if o.CheckMode {
		p.interruptedInCheckMode()
		if p.skipApplied(ctx) {
			return p.rep, nil
		}
		if p.overridden != nil {
			return p.rep, p.overridden
		}
		return p.rep, p.predictOnly(ctx)
	}
	err = p.lock(ctx)
	if p.guard != nil {
		defer p.guard.Unlock()
	}
	if err != nil {
		return p.rep, err
	}
	// After lock: what an interrupted probe left is recovered first, so a
	// host is "already applied" only on a configuration nova-compute accepted.
	if up, err := p.ctl.Running(ctx); err == nil && !up {
		p.stoppedAtStart = true
	}
	if p.skipApplied(ctx) {
		return p.rep, nil
	}
	if p.overridden != nil {
		return p.rep, p.overridden
	}
	// From here on every exit goes through finish or rollback.
	d, err := p.decide(ctx)
	fill(p.rep, d, p.given)
	if err != nil {
		return p.rep, p.rollback(ctx, err)
	}
	if err := p.finish(ctx); err != nil {
		return p.rep, err
	}
	return p.rep, nil
}

// probeRun is one Run: what plan found, and what lock and decide add.
type probeRun struct {
	o   Options
	rep *Report
	// original is nova.conf before the probe (re-read after a recovery).
	original []byte
	flags    []string
	// disabled are Options.Disabled as written: "-" and the libvirt name.
	disabled  []string
	given     map[string]string // flag name -> the operator's spelling
	ctl       novaservice.Controller
	rec       *Recorder
	predictor Prober
	guard     *Guard // set by lock
	// overridden is the refusal of files read after nova.conf that set the
	// CPU options: returned unless nova-compute already runs on the wanted ones.
	overridden error
	// stoppedAtStart: nova-compute was not running when the decision began.
	stoppedAtStart bool
	nova           *NovaProber // set by decide
}

func (p *probeRun) progress(format string, a ...any) {
	if p.o.Progress != nil {
		p.o.Progress(fmt.Sprintf(format, a...))
	}
}

// close copies the step log and the restart count into the report.
func (p *probeRun) close() {
	if p.nova != nil && p.rep.Restarts < p.nova.RestartCount() {
		p.rep.Restarts = p.nova.RestartCount()
	}
	if p.rec != nil {
		p.rep.Steps = p.rec.Steps
	}
}

// plan reads and checks nova.conf, the files read after it and the
// candidates, and sets up the controller, the step log and the predictor.
// It changes nothing.
func plan(ctx context.Context, o Options) (*probeRun, error) {
	p := &probeRun{o: o, rep: &Report{Strategy: o.Strategy, NovaCheck: o.Check, Rejected: map[string]Rejected{}}}
	rep := p.rep
	if o.Model == "" {
		return p, errors.New("model is empty; give the base CPU model, e.g. Westmere")
	}
	original, err := os.ReadFile(o.ConfPath)
	if err != nil {
		return p, fmt.Errorf("read nova.conf: %w (set nova_conf)", err)
	}
	if err := checkText(o.ConfPath, original); err != nil {
		return p, err
	}
	if _, err := novaconf.Parse(original); err != nil {
		return p, fmt.Errorf("nova.conf %s: %w", o.ConfPath, err)
	}
	p.original = original
	if err := checkDriver(append([]string{o.ConfPath}, o.ExtraConfigFiles...)); err != nil {
		return p, err
	}
	overrides, err := novaconf.FindOverrides(o.ConfPath, o.ExtraConfigFiles)
	if err != nil {
		rep.Warnings = append(rep.Warnings, err.Error())
	}
	if len(overrides) > 0 {
		var s []string
		for _, ov := range overrides {
			s = append(s, ov.String())
		}
		p.overridden = fmt.Errorf("files nova-compute reads after %s set the CPU options the probe edits, so its edits would have no effect: %s; remove them there first", o.ConfPath, strings.Join(s, "; "))
	}
	cands, notes := Normalize(o.Candidates)
	rep.Candidates = cands
	rep.Warnings = append(rep.Warnings, notes...)
	if err := checkFlags(cands); err != nil {
		return p, err
	}
	if err := checkRelease(o.Check.NovaVersion, cands); err != nil {
		return p, err
	}
	p.flags = names(cands)
	p.given = map[string]string{}
	for _, c := range cands {
		p.given[c.Name] = c.Given
	}
	if p.disabled, err = disabledFlags(o.Disabled, cands, o.Check.NovaVersion); err != nil {
		return p, err
	}
	rep.Disabled = slices.Clone(p.disabled)

	if p.ctl, err = controller(o.Controller, o.Service); err != nil {
		return p, err
	}
	if o.Service.LogPath == "" {
		return p, errors.New("service log_path is empty; give nova-compute's log file (e.g. /var/log/nova/nova-compute.log)")
	}
	p.rec = &Recorder{Model: o.Model, Disabled: p.disabled, Check: o.Check.Check, LibvirtURI: o.LibvirtURI, Options: o.PluginOptions,
		Progress: func(s Step) {
			verdict := "accepted"
			if !s.Accepted {
				verdict = "refused: " + s.Reason
			}
			p.progress("%s %s + [%s]: %s (%.1fs)", s.Prober, o.Model, strings.Join(s.Flags, ","), verdict, s.Seconds)
		}}
	p.predictor = o.Predictor
	if p.predictor == nil {
		client := o.Libvirt
		if client.R == nil {
			client.R = libvirt.Virsh{URI: o.LibvirtURI}
		}
		p.predictor = &LibvirtProber{Client: client, Compare: o.Check.Check}
	}
	list := o.Models
	if list == nil {
		client := o.Libvirt
		if client.R == nil {
			client.R = libvirt.Virsh{URI: o.LibvirtURI}
		}
		virt := o.VirtType
		if virt == "" {
			virt = "kvm"
		}
		list = func(ctx context.Context) ([]string, error) {
			dc, _, err := client.DomCaps(ctx, virt)
			if err != nil {
				return nil, err
			}
			names := make([]string, 0, len(dc.Models))
			for _, m := range dc.Models {
				names = append(names, m.Name)
			}
			return names, nil
		}
	}
	note, err := checkModel(ctx, o.Model, list)
	if note != "" {
		rep.Warnings = append(rep.Warnings, note)
	}
	if err != nil {
		return p, err
	}
	return p, nil
}

// predictOnly is check mode: only the predictor is asked, and with Apply
// the nova.conf change is shown, not made.
func (p *probeRun) predictOnly(ctx context.Context) error {
	o, rep := p.o, p.rep
	if o.Strategy != StrategyLibvirt && !strings.HasPrefix(o.Strategy, PluginPrefix) {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("check mode: strategy %s would restart nova-compute; only %s was asked", o.Strategy, p.predictor.Name()))
	}
	d, err := Predict(ctx, p.rec, p.predictor, p.flags)
	fill(rep, d, p.given)
	if err != nil {
		return err
	}
	if o.Apply {
		after, err := RenderCPU(p.original, o.Model, p.written(rep.Accepted), o.ModelsKey)
		if err != nil {
			return err
		}
		rep.Changed = !bytes.Equal(after, p.original)
		rep.Before, rep.After = p.original, after
		rep.Diff = novaconf.Diff(o.ConfPath, p.original, after)
	}
	if up, err := p.ctl.Running(ctx); err == nil && !up {
		rep.Changed = true
		rep.Warnings = append(rep.Warnings, "check mode: nova-compute is not running; a real run starts it (and restarts it on any change)")
	}
	return nil
}

// lock takes the probe lock of nova.conf (p.guard, also when it then
// fails) and recovers what a dead probe left: a watchdog's report, or a
// journal whose backup it restores first.
func (p *probeRun) lock(ctx context.Context) error {
	o, rep := p.o, p.rep
	lockWait := o.LockWait
	if lockWait <= 0 {
		lockWait = 10 * time.Minute
	}
	guard, err := Lock(ctx, o.ConfPath, lockWait)
	if err != nil {
		return err
	}
	p.guard = guard
	if r := TakeRecovered(o.ConfPath); r != nil {
		rep.Recovered = append(rep.Recovered, *r)
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("a previous probe (pid %d) died; its watchdog restored nova.conf and restarted nova-compute (accepted=%v: %s)", r.PID, r.Accepted, r.Reason))
	}
	if r, err := guard.RecoverStale(ctx, p.ctl, o.Wait); r != nil || err != nil {
		if r != nil {
			rep.Recovered = append(rep.Recovered, *r)
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("a previous probe (pid %d) died and left its journal; restored nova.conf from its backup first (accepted=%v: %s)", r.PID, r.Accepted, r.Reason))
		}
		if err != nil {
			return fmt.Errorf("recover the interrupted probe of pid %d: %w", r.PID, err)
		}
		if p.original, err = os.ReadFile(o.ConfPath); err != nil {
			return fmt.Errorf("read nova.conf: %w", err)
		}
	}
	return nil
}

// decide runs the strategy. Restarting trials go through a prober that
// writes the backup and the journal before the first of them.
func (p *probeRun) decide(ctx context.Context) (*Decision, error) {
	o := p.o
	p.nova = &NovaProber{ConfPath: o.ConfPath, Original: p.original, Controller: p.ctl, LogPath: o.Service.LogPath,
		Timeout: o.Timeout, Wait: o.Wait, BeforeRestart: o.BeforeRestart, ModelsKey: o.ModelsKey, BeforeWrite: p.guard.NoteWrite}
	armed := &armingProber{Prober: p.nova, arm: p.arm}
	switch {
	case o.Strategy == StrategyAuto || strings.HasPrefix(o.Strategy, PluginPrefix):
		d, err := Auto(ctx, p.rec, p.predictor, armed, p.flags, p.confirmed)
		if d != nil {
			p.rep.Confirmed = d.Confirmed
		}
		return d, err
	case o.Strategy == StrategyLibvirt:
		return Predict(ctx, p.rec, p.predictor, p.flags)
	case o.Strategy == StrategyBisect || o.Strategy == StrategyNova:
		return Bisect(ctx, p.rec, armed, p.flags)
	case o.Strategy == StrategyOneByOne:
		return OneByOne(ctx, p.rec, armed, p.flags)
	}
	return nil, fmt.Errorf("unknown strategy %q; use one of %s or plugin:NAME", o.Strategy, strings.Join(Strategies, ", "))
}

// confirmed is Auto's check that the running nova-compute has already
// passed its CPU check on the predicted flags (see AlreadyApplied).
func (p *probeRun) confirmed(ctx context.Context, accepted []string) string {
	a := AlreadyApplied(ctx, p.ctl, p.o.ConfPath, p.o.ExtraConfigFiles, p.o.Model, p.written(accepted))
	if !a.OK {
		return ""
	}
	p.progress("confirmation restart skipped: %s", a.Why)
	return a.Why
}

// written is cpu_model_extra_flags for accepted: the accepted flags, then
// the disabled features, in the order of the plan's nova.conf snippet.
func (p *probeRun) written(accepted []string) []string {
	return concat(accepted, p.disabled)
}

// skipApplied reports (and records in the report) that nova-compute already
// runs on exactly the model and the candidates: no trial, no restart, no
// write. A rerun after an interruption skips the hosts it finished this way.
func (p *probeRun) skipApplied(ctx context.Context) bool {
	a := AlreadyApplied(ctx, p.ctl, p.o.ConfPath, p.o.ExtraConfigFiles, p.o.Model, p.written(p.flags))
	if !a.OK {
		p.progress("not already applied: %s", a.Why)
		return false
	}
	p.progress("already applied, nothing tried or restarted: %s", a.Why)
	p.rep.AlreadyApplied = a.Why
	p.rep.Accepted = slices.Clone(p.flags)
	p.rep.Before, p.rep.After = p.original, p.original
	return true
}

// interruptedInCheckMode makes check mode say what a real run does first
// when a probe was interrupted and left its journal: it restores the backup
// (a configuration nova-compute accepted) and restarts nova-compute, so the
// change shown is from that backup.
func (p *probeRun) interruptedInCheckMode() {
	j, err := ReadJournal(JournalPath(p.o.ConfPath))
	if err != nil || j == nil {
		return
	}
	if b, err := os.ReadFile(j.Backup); err == nil {
		p.original = b
	}
	p.rep.Warnings = append(p.rep.Warnings, fmt.Sprintf("a probe of %s (pid %d) was interrupted and left its journal: a real run first restores %s and restarts nova-compute; the change shown is from that backup", p.o.ConfPath, j.PID, j.Backup))
}

// arm writes the backup and the journal once, and starts the watchdog.
func (p *probeRun) arm() error {
	if p.guard.Armed() {
		return nil
	}
	if err := p.guard.Arm(p.original, p.o.Service, p.o.Timeout); err != nil {
		return err
	}
	if p.o.Spawn != nil {
		if err := p.o.Spawn(JournalPath(p.o.ConfPath)); err != nil {
			p.rep.Warnings = append(p.rep.Warnings, "no watchdog: "+err.Error())
		}
	}
	return nil
}

// armingProber writes the backup and journal before its first trial.
type armingProber struct {
	Prober
	arm func() error
}

func (a *armingProber) Check(ctx context.Context, t prober.Trial) (prober.Outcome, error) {
	if err := a.arm(); err != nil {
		return prober.Outcome{}, err
	}
	return a.Prober.Check(ctx, t)
}

func fill(rep *Report, d *Decision, given map[string]string) {
	if d == nil {
		return
	}
	rep.Accepted = append([]string{}, d.Accepted...)
	for f, r := range d.Rejected {
		rep.Rejected[f] = Rejected{Given: given[f], Rejection: r}
	}
}
