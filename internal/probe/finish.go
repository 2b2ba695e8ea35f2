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

	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

// finish writes the final nova.conf and makes sure nova-compute runs on it.
func (p *probeRun) finish(ctx context.Context) error {
	o, rep, guard, nova, original := p.o, p.rep, p.guard, p.nova, p.original
	target := original
	refusedAll := o.Apply && o.RequireAll && len(rep.Rejected) > 0
	if o.Apply && !refusedAll {
		var err error
		if target, err = RenderCPU(original, o.Model, rep.Accepted, o.ModelsKey); err != nil {
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

// alreadyRunning returns a reason when nova.conf already holds exactly
// model+flags and the running nova-compute started after nova.conf was
// last written: it has passed its CPU check on this configuration.
func alreadyRunning(ctx context.Context, ctl novaservice.Controller, conf string, original []byte, model string, flags []string, modelsKey string) string {
	want, err := RenderCPU(original, model, flags, modelsKey)
	if err != nil || !bytes.Equal(want, original) {
		return ""
	}
	// Without a PID source (service kind command with neither pid_file nor
	// status output to read one from) its start cannot be compared with
	// nova.conf's: nothing changes, so a running nova-compute is left alone
	// rather than restarted on every idempotent run.
	pid := 0
	if pider, ok := ctl.(novaservice.PIDer); ok {
		if pid, err = pider.PID(ctx); err != nil {
			pid = 0
		}
	}
	if pid <= 0 {
		if running, err := ctl.Running(ctx); err == nil && running {
			return "nova.conf already holds these flags and nova-compute is running; it has no PID to compare its start with nova.conf's, but nothing changes, so it is not restarted"
		}
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
