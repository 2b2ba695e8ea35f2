package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/novaconf"
)

// finish writes the final nova.conf and makes sure nova-compute runs on it.
func (p *probeRun) finish(ctx context.Context) error {
	o, rep, guard, nova, original := p.o, p.rep, p.guard, p.nova, p.original
	target := original
	refusedAll := o.Apply && o.RequireAll && len(rep.Rejected) > 0
	if o.Apply && !refusedAll {
		var err error
		if target, err = RenderCPU(original, o.Model, p.written(rep.Accepted), o.ModelsKey); err != nil {
			return p.rollback(ctx, err)
		}
	}
	changed := !bytes.Equal(target, original)
	if changed || nova.RestartCount() > 0 {
		if err := p.arm(); err != nil {
			return p.rollback(ctx, err)
		}
		if err := guard.NoteWrite(target); err != nil {
			return p.rollback(ctx, err)
		}
		if _, err := novaconf.WriteAtomic(o.ConfPath, target, false); err != nil {
			return p.rollback(ctx, err)
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
				return p.rollback(ctx, err)
			}
		}
	}
	if !changed && nova.RestartCount() == 0 {
		if err := p.startIfStopped(ctx, target); err != nil {
			return err
		}
	}
	rep.Restarts = nova.RestartCount()
	// A nova-compute found stopped and left running on the final nova.conf
	// is a change, also when the probe's own restarts started it.
	rep.Started = rep.Started || (p.stoppedAtStart && nova.RunningOn(target))
	rep.Changed = changed || rep.Started
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
func (p *probeRun) rollback(ctx context.Context, cause error) error {
	rep, guard, nova, original := p.rep, p.guard, p.nova, p.original
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

// startIfStopped starts nova-compute on content (nova.conf as it is) when
// nothing was written or restarted and nova-compute is not running: a rerun
// after an interruption may find it stopped, and a probe never leaves it so.
// nova.conf is not changed, so there is nothing to roll back.
func (p *probeRun) startIfStopped(ctx context.Context, content []byte) error {
	up, err := p.ctl.Running(ctx)
	if err != nil {
		return fmt.Errorf("ask whether nova-compute runs: %w", err)
	}
	if up {
		return nil
	}
	p.progress("nova-compute is not running: starting it on nova.conf as it is")
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeoutOr(p.o.Timeout))
	defer cancel()
	v, err := p.nova.RestartOn(fctx, content)
	p.rep.Restarts = p.nova.RestartCount()
	if err == nil && !v.Accepted {
		err = errors.New(v.Reason)
	}
	if err != nil {
		return fmt.Errorf("nova-compute was not running, and does not start on nova.conf as it is: %w; nova.conf was not changed, see %s", err, p.o.Service.LogPath)
	}
	p.rep.Started = true
	return nil
}
