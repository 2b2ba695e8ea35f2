package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

// Options configure Run.
type Options struct {
	// Model is the base CPU model (cpu_models).
	Model string
	// Candidates are the flags to decide on, in any spelling Normalize understands.
	Candidates []string
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
}

// Rejected is one rejected flag in the report.
type Rejected struct {
	// Given is the operator's spelling.
	Given string `json:"given"`
	Rejection
}

// Report is the result of Run.
type Report struct {
	Accepted   []string            `json:"accepted"`
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
	Warnings   []string            `json:"-"`
}

// Run probes, then leaves nova-compute on the original nova.conf (or, with
// Apply, on the accepted flags), running. Whatever fails in between, it
// restores the original configuration and restarts nova-compute before
// returning; a kill of the process is covered by the watchdog.
func Run(ctx context.Context, o Options) (rep *Report, err error) {
	rep = &Report{Strategy: o.Strategy, NovaCheck: o.Check, Rejected: map[string]Rejected{}}
	if o.Model == "" {
		return rep, errors.New("model is empty; give the base CPU model, e.g. Westmere")
	}
	progress := func(format string, a ...any) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf(format, a...))
		}
	}
	original, err := os.ReadFile(o.ConfPath)
	if err != nil {
		return rep, fmt.Errorf("read nova.conf: %w (set nova_conf)", err)
	}
	if _, err := novaconf.Parse(original); err != nil {
		return rep, fmt.Errorf("nova.conf %s: %w", o.ConfPath, err)
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
		return rep, fmt.Errorf("files nova-compute reads after %s set the CPU options the probe edits, so its edits would have no effect: %s; remove them there first", o.ConfPath, strings.Join(s, "; "))
	}
	cands, notes := Normalize(o.Candidates)
	rep.Candidates = cands
	rep.Warnings = append(rep.Warnings, notes...)
	flags := names(cands)
	given := map[string]string{}
	for _, c := range cands {
		given[c.Name] = c.Given
	}

	ctl := o.Controller
	if ctl == nil {
		if ctl, err = novaservice.New(o.Service); err != nil {
			return rep, err
		}
	}
	if o.Service.LogPath == "" {
		return rep, errors.New("service log_path is empty; give nova-compute's log file (e.g. /var/log/nova/nova-compute.log)")
	}
	rec := &Recorder{Model: o.Model, Check: o.Check.Check, LibvirtURI: o.LibvirtURI, Options: o.PluginOptions,
		Progress: func(s Step) {
			verdict := "accepted"
			if !s.Accepted {
				verdict = "refused: " + s.Reason
			}
			progress("%s %s + [%s]: %s (%.1fs)", s.Prober, o.Model, strings.Join(s.Flags, ","), verdict, s.Seconds)
		}}
	defer func() { rep.Steps = rec.Steps }()
	predictor := o.Predictor
	if predictor == nil {
		client := o.Libvirt
		if client.R == nil {
			client.R = libvirt.Virsh{URI: o.LibvirtURI}
		}
		predictor = &LibvirtProber{Client: client, Compare: o.Check.Check}
	}

	if o.CheckMode {
		if o.Strategy != StrategyLibvirt && !strings.HasPrefix(o.Strategy, PluginPrefix) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("check mode: strategy %s would restart nova-compute; only %s was asked", o.Strategy, predictor.Name()))
		}
		d, err := Predict(ctx, rec, predictor, flags)
		fill(rep, d, given)
		if err != nil {
			return rep, err
		}
		if o.Apply {
			after, err := RenderCPU(original, o.Model, rep.Accepted)
			if err != nil {
				return rep, err
			}
			rep.Changed = !bytes.Equal(after, original)
			rep.Before, rep.After = original, after
			rep.Diff = novaconf.Diff(o.ConfPath, original, after)
		}
		return rep, nil
	}

	lockWait := o.LockWait
	if lockWait <= 0 {
		lockWait = 10 * time.Minute
	}
	guard, err := Lock(ctx, o.ConfPath, lockWait)
	if err != nil {
		return rep, err
	}
	defer guard.Unlock()
	if r := TakeRecovered(o.ConfPath); r != nil {
		rep.Recovered = append(rep.Recovered, *r)
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("a previous probe (pid %d) died; its watchdog restored nova.conf and restarted nova-compute (accepted=%v: %s)", r.PID, r.Accepted, r.Reason))
	}
	if r, err := guard.RecoverStale(ctx, ctl, o.Wait); r != nil || err != nil {
		if r != nil {
			rep.Recovered = append(rep.Recovered, *r)
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("a previous probe (pid %d) died and left its journal; restored nova.conf from its backup first (accepted=%v: %s)", r.PID, r.Accepted, r.Reason))
		}
		if err != nil {
			return rep, fmt.Errorf("recover the interrupted probe of pid %d: %w", r.PID, err)
		}
		if original, err = os.ReadFile(o.ConfPath); err != nil {
			return rep, fmt.Errorf("read nova.conf: %w", err)
		}
	}

	nova := &NovaProber{ConfPath: o.ConfPath, Original: original, Controller: ctl, LogPath: o.Service.LogPath,
		Timeout: o.Timeout, Wait: o.Wait, BeforeRestart: o.BeforeRestart}
	arm := func() error {
		if guard.Armed() {
			return nil
		}
		if err := guard.Arm(original, o.Service, o.Timeout); err != nil {
			return err
		}
		if o.Spawn != nil {
			if err := o.Spawn(JournalPath(o.ConfPath)); err != nil {
				rep.Warnings = append(rep.Warnings, "no watchdog: "+err.Error())
			}
		}
		return nil
	}
	armed := &armingProber{Prober: nova, arm: arm}

	// From here on every exit goes through finish or rollback.
	defer func() {
		if rep.Restarts < nova.RestartCount() {
			rep.Restarts = nova.RestartCount()
		}
	}()
	var d *Decision
	switch {
	case o.Strategy == StrategyAuto || strings.HasPrefix(o.Strategy, PluginPrefix):
		d, err = Predict(ctx, rec, predictor, flags)
		if err == nil {
			if why := alreadyRunning(ctx, ctl, o.ConfPath, original, o.Model, d.Accepted); why != "" {
				rep.Confirmed = why
				progress("confirmation restart skipped: %s", why)
			} else {
				var out Outcome
				out, err = rec.Ask(ctx, armed, d.Accepted)
				if err == nil && !out.Accepted {
					if len(d.Accepted) == 0 {
						err = fmt.Errorf("nova-compute refused the base model %s with no extra flags: %s", o.Model, out.Reason)
					} else {
						var g *Decision
						g, err = bisectFrom(ctx, rec, armed, nil, d.Accepted, &out)
						d.Accepted = g.Accepted
						for f, r := range g.Rejected {
							d.Rejected[f] = r
						}
						d.ordered(flags)
					}
				}
			}
		}
	case o.Strategy == StrategyLibvirt:
		d, err = Predict(ctx, rec, predictor, flags)
	case o.Strategy == StrategyBisect || o.Strategy == StrategyNova:
		d, err = Bisect(ctx, rec, armed, flags)
	case o.Strategy == StrategyOneByOne:
		d, err = OneByOne(ctx, rec, armed, flags)
	default:
		err = fmt.Errorf("unknown strategy %q; use one of %s or plugin:NAME", o.Strategy, strings.Join(Strategies, ", "))
	}
	fill(rep, d, given)
	if err != nil {
		return rep, rollback(ctx, rep, guard, nova, original, err)
	}
	if err := finish(ctx, o, rep, guard, nova, original, arm); err != nil {
		return rep, err
	}
	return rep, nil
}

// armingProber writes the backup and journal before its first trial.
type armingProber struct {
	Prober
	arm func() error
}

func (a *armingProber) Check(ctx context.Context, t Trial) (Outcome, error) {
	if err := a.arm(); err != nil {
		return Outcome{}, err
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

// finish writes the final nova.conf and makes sure nova-compute runs on it.
func finish(ctx context.Context, o Options, rep *Report, guard *Guard, nova *NovaProber, original []byte, arm func() error) error {
	target := original
	refusedAll := o.Apply && o.RequireAll && len(rep.Rejected) > 0
	if o.Apply && !refusedAll {
		var err error
		if target, err = RenderCPU(original, o.Model, rep.Accepted); err != nil {
			return rollback(ctx, rep, guard, nova, original, err)
		}
	}
	changed := !bytes.Equal(target, original)
	if changed || nova.RestartCount() > 0 {
		if err := arm(); err != nil {
			return rollback(ctx, rep, guard, nova, original, err)
		}
		if _, err := novaconf.WriteAtomic(o.ConfPath, target, false); err != nil {
			return rollback(ctx, rep, guard, nova, original, err)
		}
		if !nova.RunningOn(target) {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeoutOr(o.Timeout))
			v, err := nova.RestartOn(fctx, target)
			cancel()
			rep.Restarts = nova.RestartCount()
			if err == nil && !v.Accepted {
				what := "the original nova.conf"
				if changed {
					what = "the accepted flags"
				}
				err = fmt.Errorf("nova-compute refused %s on the final restart: %s", what, v.Reason)
			}
			if err != nil {
				if !changed {
					_ = guard.Disarm()
					return fmt.Errorf("nova.conf is back to its original content but nova-compute does not run on it: %w", err)
				}
				return rollback(ctx, rep, guard, nova, original, err)
			}
		}
	}
	rep.Restarts = nova.RestartCount()
	rep.Changed = changed
	rep.Before, rep.After = original, target
	rep.Diff = novaconf.Diff(o.ConfPath, original, target)
	if j := guard.Journal(); j != nil {
		if changed {
			rep.Backup = j.Backup
		} else {
			os.Remove(j.Backup)
		}
	}
	if err := guard.Disarm(); err != nil {
		return err
	}
	if refusedAll {
		names := make([]string, 0, len(rep.Rejected))
		for name := range rep.Rejected {
			names = append(names, name)
		}
		sort.Strings(names)
		return fmt.Errorf("require_all: nova-compute here refuses %s, so the cluster's flags were not applied; nova.conf is unchanged and nova-compute runs on it",
			strings.Join(names, ", "))
	}
	return nil
}

// rollback restores the original nova.conf and restarts nova-compute when
// the probe touched it, then returns cause (with what the rollback found).
func rollback(ctx context.Context, rep *Report, guard *Guard, nova *NovaProber, original []byte, cause error) error {
	j := guard.Journal()
	if j == nil {
		return cause
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeoutOr(nova.Timeout))
	defer cancel()
	var rbErr error
	if _, err := novaconf.WriteAtomic(nova.ConfPath, original, false); err != nil {
		rbErr = err
	} else if !nova.RunningOn(original) {
		v, err := nova.RestartOn(rctx, original)
		switch {
		case err != nil:
			rbErr = err
		case !v.Accepted:
			rbErr = fmt.Errorf("nova-compute does not run on the original nova.conf either: %s", v.Reason)
		}
	}
	rep.Restarts = nova.RestartCount()
	if rbErr != nil {
		// Leave the journal: the watchdog retries the recovery when this process exits.
		return fmt.Errorf("%w; rolling back to the original nova.conf also failed: %v (backup %s; the watchdog retries when the module exits)", cause, rbErr, j.Backup)
	}
	os.Remove(j.Backup)
	_ = guard.Disarm()
	return fmt.Errorf("%w; nova.conf was restored to its original content and nova-compute runs on it", cause)
}

func timeoutOr(t time.Duration) time.Duration {
	if t <= 0 {
		return 180 * time.Second
	}
	return t
}

// alreadyRunning returns a reason when nova.conf already holds exactly
// model+flags and the running nova-compute started after nova.conf was
// last written: it has passed its CPU check on this configuration.
func alreadyRunning(ctx context.Context, ctl novaservice.Controller, conf string, original []byte, model string, flags []string) string {
	want, err := RenderCPU(original, model, flags)
	if err != nil || !bytes.Equal(want, original) {
		return ""
	}
	pider, ok := ctl.(novaservice.PIDer)
	if !ok {
		return ""
	}
	pid, err := pider.PID(ctx)
	if err != nil || pid <= 0 {
		return ""
	}
	fi, err := os.Stat(conf)
	if err != nil {
		return ""
	}
	started, err := processStart(pid)
	// btime has a resolution of one second: demand a clear margin.
	if err != nil || !started.After(fi.ModTime().Add(time.Second)) {
		return ""
	}
	if running, err := ctl.Running(ctx); err != nil || !running {
		return ""
	}
	return fmt.Sprintf("nova.conf already holds these flags and nova-compute (pid %d) started at %s, after nova.conf was last written (%s), so it has passed its CPU check on them", pid, started.UTC().Format(time.RFC3339), fi.ModTime().UTC().Format(time.RFC3339))
}

// processStart returns when process pid started (from /proc; USER_HZ 100).
func processStart(pid int) (time.Time, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, err
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return time.Time{}, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return time.Time{}, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64) // field 22 overall
	if err != nil {
		return time.Time{}, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	pstat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(pstat), "\n") {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			bt, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(bt, 0).Add(time.Duration(ticks) * 10 * time.Millisecond), nil
		}
	}
	return time.Time{}, errors.New("no btime in /proc/stat")
}
