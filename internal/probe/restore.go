package probe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// ConfPath is nova.conf.
	ConfPath string
	// Backup is the previous nova.conf ("": only a stale journal is recovered
	// and nova-compute made to run).
	Backup string
	// Service controls nova-compute; Service.LogPath is its log.
	Service novaservice.Spec
	// Controller overrides novaservice.New(Service) (tests).
	Controller novaservice.Controller
	// Timeout bounds the restart-and-wait.
	Timeout time.Duration
	// Wait tunes the acceptance check.
	Wait novaservice.WaitOptions
	// CheckMode only says what would be done.
	CheckMode bool
}

// RestoreReport says what Restore did (or, in check mode, would do).
type RestoreReport struct {
	Changed bool
	// Msg is the summary for the operator.
	Msg string
	// Diff is nova.conf's change as a prepared diff ("" when unchanged).
	Diff string
	// Recovered reports the recovery of a stale probe journal (nil: none).
	Recovered *Recovery
	// Reason is nova-compute's refusal when it refuses the restored
	// configuration too.
	Reason string
}

// Restore puts nova.conf back from Backup (when given and different),
// restarts nova-compute and waits until it accepts the configuration; a
// stale probe journal is recovered first. The rollout role's rescue runs it
// so that a host ends on its previous configuration.
func Restore(ctx context.Context, o RestoreOptions) (*RestoreReport, error) {
	rep := &RestoreReport{}
	conf := o.ConfPath
	ctl, err := controller(o.Controller, o.Service)
	if err != nil {
		return rep, err
	}
	if j, _ := ReadJournal(JournalPath(conf)); j != nil {
		if o.CheckMode {
			rep.Changed = true
			rep.Msg = "would recover from a stale probe journal"
			return rep, nil
		}
		rec, err := Recover(ctx, j, ctl, o.Wait)
		rep.Recovered = &rec
		if err != nil {
			return rep, fmt.Errorf("recover from the probe journal: %w", err)
		}
		rep.Changed = true
	}
	if o.Backup != "" {
		want, err := os.ReadFile(o.Backup)
		if err != nil {
			return rep, fmt.Errorf("read the backup %s: %w", o.Backup, err)
		}
		have, err := os.ReadFile(conf)
		if err != nil {
			return rep, fmt.Errorf("read %s: %w", conf, err)
		}
		if string(want) != string(have) {
			if o.CheckMode {
				rep.Changed = true
				rep.Diff = novaconf.Diff(conf, have, want)
				rep.Msg = "would restore " + conf + " from " + o.Backup + " and restart nova-compute"
				return rep, nil
			}
			if err := novaconf.Restore(conf, o.Backup); err != nil {
				return rep, err
			}
			rep.Changed = true
			rep.Diff = novaconf.Diff(conf, have, want)
		}
	}
	up, err := ctl.Running(ctx)
	if err != nil {
		return rep, fmt.Errorf("ask whether nova-compute runs: %w", err)
	}
	if !rep.Changed && up {
		rep.Msg = "nova.conf is the previous configuration and nova-compute runs"
		return rep, nil
	}
	if o.CheckMode {
		rep.Changed = true
		rep.Msg = "would restart nova-compute"
		return rep, nil
	}
	tctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	v, err := novaservice.RestartAndWait(tctx, ctl, o.Service.LogPath, o.Wait)
	rep.Changed = true
	if err != nil {
		return rep, fmt.Errorf("restart nova-compute on the restored configuration: %w", err)
	}
	if !v.Accepted {
		rep.Reason = v.Reason
		return rep, errors.New("nova-compute refuses the restored configuration too: " + v.Reason + "; fix nova.conf by hand")
	}
	rep.Msg = "nova.conf restored and nova-compute accepted it"
	return rep, nil
}
