package probe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

// Applied is the verdict of AlreadyApplied: whether nova-compute already
// runs on the wanted CPU configuration, and why (or why not).
type Applied struct {
	// OK: the effective configuration is the wanted one and the running
	// nova-compute started after every file of it was last written.
	OK bool
	// Why says what was compared, in either case.
	Why string
}

// AlreadyApplied decides whether a probe or an apply of model+flags has
// nothing left to do on this host: nova-compute's effective configuration
// (conf, then extra in the order nova-compute reads them: EffectiveCPU) is
// cpu_mode=custom with exactly model and exactly flags (as a set, without
// case: Nova reads set(flag.lower())), no probe journal is left beside conf
// (an interrupted probe), and nova-compute runs and started after the newest
// of those files was last written, so it has passed its start-up CPU check
// on them. Without a PID source (service kind command with neither pid_file
// nor a status that names one) a running nova-compute counts, as decision 30
// of docs/DESIGN.md says: nothing would change.
func AlreadyApplied(ctx context.Context, ctl novaservice.Controller, conf string, extra []string, model string, flags []string) Applied {
	if _, err := os.Stat(JournalPath(conf)); err == nil {
		return Applied{Why: "a probe of " + conf + " was interrupted (its journal " + JournalPath(conf) + " is left)"}
	}
	eff, err := novaconf.EffectiveCPU(conf, extra)
	if err != nil {
		return Applied{Why: err.Error()}
	}
	if why := differs(eff, model, flags); why != "" {
		return Applied{Why: why}
	}
	want := fmt.Sprintf("%s + [%s]", model, strings.Join(flags, ","))
	running, err := ctl.Running(ctx)
	if err != nil {
		return Applied{Why: fmt.Sprintf("nova.conf holds %s, but whether nova-compute runs is unknown: %v", want, err)}
	}
	if !running {
		return Applied{Why: fmt.Sprintf("nova.conf holds %s, but nova-compute is not running", want)}
	}
	pid := 0
	if pider, ok := ctl.(novaservice.PIDer); ok {
		if pid, err = pider.PID(ctx); err != nil {
			pid = 0
		}
	}
	if pid <= 0 {
		return Applied{OK: true, Why: fmt.Sprintf("nova.conf already holds %s and nova-compute is running; it has no PID to compare its start with nova.conf's, but nothing changes, so it is not restarted", want)}
	}
	started, err := processStart(pid)
	if err != nil {
		return Applied{Why: fmt.Sprintf("nova.conf holds %s, but when nova-compute (pid %d) started is unknown: %v", want, pid, err)}
	}
	// btime has a resolution of one second: demand a clear margin.
	if !started.After(eff.Newest.Add(time.Second)) {
		return Applied{Why: fmt.Sprintf("nova.conf holds %s, but nova-compute (pid %d) started at %s, before its configuration was last written (%s): it may run on an older one",
			want, pid, started.UTC().Format(time.RFC3339), eff.Newest.UTC().Format(time.RFC3339))}
	}
	return Applied{OK: true, Why: fmt.Sprintf("nova.conf already holds %s and nova-compute (pid %d) started at %s, after its configuration was last written (%s), so it has passed its CPU check on them",
		want, pid, started.UTC().Format(time.RFC3339), eff.Newest.UTC().Format(time.RFC3339))}
}

// differs says how the effective configuration differs from custom model +
// flags ("" when it does not).
func differs(eff novaconf.Effective, model string, flags []string) string {
	c := eff.CPU
	var diffs []string
	if !strings.EqualFold(strings.TrimSpace(c.Mode), "custom") {
		diffs = append(diffs, fmt.Sprintf("cpu_mode is %q", c.Mode))
	}
	if len(c.Models) != 1 || c.Models[0] != model {
		diffs = append(diffs, fmt.Sprintf("the models are [%s], not [%s]", strings.Join(c.Models, ","), model))
	}
	have, want := flagSet(c.ExtraFlags), flagSet(flags)
	var missing, extra []string
	for _, f := range want {
		if !slices.Contains(have, f) {
			missing = append(missing, f)
		}
	}
	for _, f := range have {
		if !slices.Contains(want, f) {
			extra = append(extra, f)
		}
	}
	if len(missing) > 0 {
		diffs = append(diffs, "flags missing: "+strings.Join(missing, ","))
	}
	if len(extra) > 0 {
		diffs = append(diffs, "flags not wanted: "+strings.Join(extra, ","))
	}
	if len(diffs) == 0 {
		return ""
	}
	var from []string
	for _, k := range []string{novaconf.KeyMode, novaconf.KeyModels, novaconf.KeyExtraFlags} {
		if f, ok := eff.From[k]; ok {
			from = append(from, k+" from "+f)
		}
	}
	src := ""
	if len(from) > 0 {
		src = " (" + strings.Join(from, ", ") + ")"
	}
	return "nova-compute's configuration differs: " + strings.Join(diffs, "; ") + src
}

// flagSet is Nova's reading of cpu_model_extra_flags: lower-cased, each once, sorted.
func flagSet(flags []string) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		f = strings.ToLower(strings.TrimSpace(f))
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
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
