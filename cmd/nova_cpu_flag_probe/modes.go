package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
	"github.com/kvm-migration/cpuflags/internal/probe"
)

// Modes besides probing: the rollout role's handler verifies nova-compute
// after a change, and its rescue makes sure a host ends on its previous
// configuration.
const (
	modeProbe   = "probe"
	modeVerify  = "verify"
	modeRestore = "restore"
)

// runVerify checks that nova-compute runs and keeps running for the grace
// period, and that no stale probe journal is left.
func runVerify(ctx context.Context, m *ansiblemod.Module, r *ansiblemod.Result, svc novaservice.Spec) error {
	if m.CheckMode {
		r.Msg = "check mode: nothing was restarted, so there is nothing to verify"
		return nil
	}
	ctl, err := novaservice.New(svc)
	if err != nil {
		return err
	}
	if j, _ := probe.ReadJournal(probe.JournalPath(m.Path("nova_conf"))); j != nil {
		return fmt.Errorf("a probe journal is left next to %s (a probe died); run with mode=restore to recover", m.Path("nova_conf"))
	}
	grace := time.Duration(m.Float("accept_grace") * float64(time.Second))
	deadline := time.Now().Add(grace)
	for {
		up, err := ctl.Running(ctx)
		if err != nil {
			return fmt.Errorf("ask whether nova-compute runs: %w", err)
		}
		if !up {
			return fmt.Errorf("nova-compute is not running; see %s for its last error", svc.LogPath)
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	r.Msg = fmt.Sprintf("nova-compute runs and stayed up for %s", grace)
	return nil
}

// runRestore puts nova.conf back from backup (when given and different),
// restarts nova-compute and waits until it accepts the configuration; a
// stale probe journal is recovered first.
func runRestore(ctx context.Context, m *ansiblemod.Module, r *ansiblemod.Result, svc novaservice.Spec) error {
	conf := m.Path("nova_conf")
	ctl, err := novaservice.New(svc)
	if err != nil {
		return err
	}
	wait := novaservice.WaitOptions{Grace: time.Duration(m.Float("accept_grace") * float64(time.Second))}
	if j, _ := probe.ReadJournal(probe.JournalPath(conf)); j != nil {
		if m.CheckMode {
			r.Changed = true
			r.Msg = "would recover from a stale probe journal"
			return nil
		}
		rec, err := probe.Recover(ctx, j, ctl, wait)
		r.Set("recovered", rec)
		if err != nil {
			return fmt.Errorf("recover from the probe journal: %w", err)
		}
		r.Changed = true
	}
	backup := m.Path("backup")
	if backup != "" {
		want, err := os.ReadFile(backup)
		if err != nil {
			return fmt.Errorf("read the backup %s: %w", backup, err)
		}
		have, err := os.ReadFile(conf)
		if err != nil {
			return fmt.Errorf("read %s: %w", conf, err)
		}
		if string(want) != string(have) {
			if m.CheckMode {
				r.Changed = true
				r.AddDiff(ansiblemod.DiffEntry{Prepared: novaconf.Diff(conf, have, want)})
				r.Msg = "would restore " + conf + " from " + backup + " and restart nova-compute"
				return nil
			}
			if err := novaconf.Restore(conf, backup); err != nil {
				return err
			}
			r.Changed = true
			r.AddDiff(ansiblemod.DiffEntry{Prepared: novaconf.Diff(conf, have, want)})
		}
	}
	up, err := ctl.Running(ctx)
	if err != nil {
		return fmt.Errorf("ask whether nova-compute runs: %w", err)
	}
	if !r.Changed && up {
		r.Msg = "nova.conf is the previous configuration and nova-compute runs"
		return nil
	}
	if m.CheckMode {
		r.Changed = true
		r.Msg = "would restart nova-compute"
		return nil
	}
	tctx, cancel := context.WithTimeout(ctx, time.Duration(m.Int("timeout"))*time.Second)
	defer cancel()
	v, err := novaservice.RestartAndWait(tctx, ctl, svc.LogPath, wait)
	r.Changed = true
	if err != nil {
		return fmt.Errorf("restart nova-compute on the restored configuration: %w", err)
	}
	if !v.Accepted {
		return ansiblemod.WithFields(errors.New("nova-compute refuses the restored configuration too: "+v.Reason+"; fix nova.conf by hand"),
			map[string]any{"reason": v.Reason})
	}
	r.Msg = "nova.conf restored and nova-compute accepted it"
	return nil
}
