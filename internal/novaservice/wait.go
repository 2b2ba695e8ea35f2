package novaservice

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// AcceptMarker is what nova-compute logs (INFO, nova.compute.manager) in
// ComputeManager.init_host -> _error_out_instances_whose_build_was_interrupted,
// after driver.init_host has run LibvirtDriver._check_cpu_compatibility, on every
// start (it is logged before the loop over compute nodes). Verified in the source and
// on a live nova-compute of Debian's 26.2.2 (Zed); check it before relying on other releases.
const AcceptMarker = "Looking for unclaimed instances stuck in BUILDING status"

// RefuseMarker is the exception nova-compute logs when its start-up CPU check fails:
//
//	ERROR oslo_service.service [-] Error starting thread.: nova.exception.InvalidCPUInfo: Configured CPU model: Westmere and CPU Flags ['fma4'] ar not compatible with host CPU. ...
//
// The process exits about 2 s later.
const RefuseMarker = "nova.exception.InvalidCPUInfo"

// Default timings for WaitOptions.
const (
	DefaultGrace       = 3 * time.Second
	DefaultPoll        = 250 * time.Millisecond
	DefaultExitConfirm = time.Second
)

// WaitOptions tunes WaitAccepted. The zero value uses the defaults.
type WaitOptions struct {
	// Grace is how long the process must stay up after AcceptMarker (default 3 s).
	Grace time.Duration
	// Poll is the interval between log reads and status checks (default 250 ms).
	Poll time.Duration
	// ExitConfirm is how long the service must look stopped before that counts as
	// an exit (default 1 s); it rides out a manager's brief restarting states.
	ExitConfirm time.Duration
	// AcceptMarkers are substrings that mean "the CPU check has passed" (default AcceptMarker).
	AcceptMarkers []string
	// RefuseMarkers are substrings that mean "configuration refused" (default RefuseMarker).
	RefuseMarkers []string
	// Mark, when its Path and Offset match WaitAccepted's arguments, adds the
	// file identity and anchor recorded by MarkLog, so rotation and truncation
	// between the restart and the first read are noticed as well.
	Mark *LogMark
}

func (o WaitOptions) withDefaults() WaitOptions {
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.ExitConfirm <= 0 {
		o.ExitConfirm = DefaultExitConfirm
	}
	if len(o.AcceptMarkers) == 0 {
		o.AcceptMarkers = []string{AcceptMarker}
	}
	if len(o.RefuseMarkers) == 0 {
		o.RefuseMarkers = []string{RefuseMarker}
	}
	return o
}

// Verdict is the outcome of one restart.
type Verdict struct {
	// Accepted is true when nova-compute passed its start-up checks and stayed up.
	Accepted bool `json:"accepted"`
	// Reason is nova-compute's own log line when refused, or a sentence saying what was seen.
	Reason string `json:"reason"`
	// TimedOut is true when the context expired before a decision.
	TimedOut bool `json:"timed_out,omitempty"`
	// Waited is the time from the start of WaitAccepted to the verdict.
	Waited time.Duration `json:"waited"`
}

// lineKind classifies one log line.
type lineKind int

const (
	lineOther lineKind = iota
	lineAccept
	lineRefuse
	lineError // ERROR or CRITICAL, kept as the reason when the process exits
)

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// cleanLine removes terminal colour codes (Debian's nova log ends lines with ESC[00m) and
// trailing white space.
func cleanLine(s string) string {
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansiRE.ReplaceAllString(s, "")
	}
	return strings.TrimRight(s, " \t\r\n")
}

func classify(line string, o WaitOptions) lineKind {
	for _, m := range o.RefuseMarkers {
		if strings.Contains(line, m) {
			return lineRefuse
		}
	}
	for _, m := range o.AcceptMarkers {
		if strings.Contains(line, m) {
			return lineAccept
		}
	}
	if strings.Contains(line, " ERROR ") || strings.Contains(line, " CRITICAL ") {
		return lineError
	}
	return lineOther
}

// WaitAccepted decides whether nova-compute accepted its configuration after a restart.
// It reads the log at logPath from logOffset (the size before the restart; see MarkLog)
// and polls c:
//
//   - a refuse marker (InvalidCPUInfo) after the offset: refused, Reason is that line;
//   - the service stays stopped for ExitConfirm: refused, Reason quotes the last ERROR line;
//   - an accept marker, then the service still running (same PID if c is a PIDer)
//     Grace later with no refuse marker: accepted;
//   - ctx expires: refused with TimedOut set.
//
// Errors are reserved for not being able to look (unreadable log, status command failing).
func WaitAccepted(ctx context.Context, c Controller, logPath string, logOffset int64, opts WaitOptions) (Verdict, error) {
	start := time.Now()
	o := opts.withDefaults()
	if c == nil {
		return Verdict{}, errors.New("wait accepted: nil controller")
	}
	if logPath == "" {
		return Verdict{}, errors.New("wait accepted: empty log path; give nova-compute's log file (e.g. /var/log/nova/nova-compute.log)")
	}
	if logOffset < 0 {
		return Verdict{}, fmt.Errorf("wait accepted: negative log offset %d", logOffset)
	}
	mark := LogMark{Path: logPath, Offset: logOffset}
	if o.Mark != nil && o.Mark.Path == logPath && o.Mark.Offset == logOffset {
		mark = *o.Mark
	}
	lf := newLogFollower(mark)
	defer lf.close()
	if err := lf.openInitial(mark); err != nil {
		return Verdict{}, fmt.Errorf("wait accepted: %w", err)
	}
	pider, _ := c.(PIDer)

	var (
		lastError   string
		acceptedAt  time.Time
		acceptLine  string
		acceptPID   int
		stoppedAt   time.Time
		ticker      = time.NewTicker(o.Poll)
		verdictDone = func(v Verdict) (Verdict, error) {
			v.Waited = time.Since(start)
			return v, nil
		}
	)
	defer ticker.Stop()

	// scan reads new lines; it returns a refusal verdict when one is found.
	scan := func(final bool) (*Verdict, error) {
		lines, err := lf.poll(final)
		if err != nil {
			return nil, fmt.Errorf("wait accepted: %w", err)
		}
		for _, raw := range lines {
			line := cleanLine(raw)
			switch classify(line, o) {
			case lineRefuse:
				return &Verdict{Reason: line}, nil
			case lineAccept:
				if acceptedAt.IsZero() {
					acceptedAt, acceptLine = time.Now(), line
				}
			case lineError:
				lastError = line
			}
		}
		return nil, nil
	}

	for {
		if v, err := scan(false); err != nil || v != nil {
			if err != nil {
				return Verdict{}, err
			}
			return verdictDone(*v)
		}
		running, err := c.Running(ctx)
		if err != nil && ctx.Err() == nil {
			return Verdict{}, fmt.Errorf("wait accepted: %w", err)
		}
		if err == nil {
			if running {
				stoppedAt = time.Time{}
			} else if stoppedAt.IsZero() {
				stoppedAt = time.Now()
			}
		}
		if err == nil && !running && time.Since(stoppedAt) >= o.ExitConfirm {
			// Last look at the log: the refusal is usually logged before the exit.
			if v, err := scan(true); err != nil || v != nil {
				if err != nil {
					return Verdict{}, err
				}
				return verdictDone(*v)
			}
			reason := "nova-compute is not running"
			if !acceptedAt.IsZero() {
				reason += " (it had logged " + quoteMarker(acceptLine) + " and then stopped)"
			} else {
				reason += " and never logged that its start-up checks passed"
			}
			if lastError != "" {
				reason += "; last error: " + lastError
			} else {
				reason += "; no ERROR in " + logPath + " since the restart"
			}
			return verdictDone(Verdict{Reason: reason})
		}
		if err == nil && running && !acceptedAt.IsZero() {
			if pider != nil && acceptPID == 0 {
				if acceptPID, err = pider.PID(ctx); err != nil && ctx.Err() == nil {
					return Verdict{}, fmt.Errorf("wait accepted: %w", err)
				}
			}
			if time.Since(acceptedAt) >= o.Grace {
				if pider != nil && acceptPID != 0 {
					pid, err := pider.PID(ctx)
					if err != nil && ctx.Err() == nil {
						return Verdict{}, fmt.Errorf("wait accepted: %w", err)
					}
					if err == nil && pid != acceptPID {
						reason := fmt.Sprintf("nova-compute was restarted during the %s grace period (pid %d, now %d)", o.Grace, acceptPID, pid)
						if lastError != "" {
							reason += "; last error: " + lastError
						}
						return verdictDone(Verdict{Reason: reason})
					}
				}
				return verdictDone(Verdict{Accepted: true, Reason: fmt.Sprintf(
					"nova-compute logged %s and was still running %s later", quoteMarker(acceptLine), o.Grace)})
			}
		}
		select {
		case <-ctx.Done():
			if v, err := scan(true); err == nil && v != nil {
				return verdictDone(*v)
			}
			reason := fmt.Sprintf("timed out after %s waiting for nova-compute to pass its start-up checks", time.Since(start).Round(time.Millisecond))
			if !acceptedAt.IsZero() {
				reason = fmt.Sprintf("timed out after %s during the grace period after %s", time.Since(start).Round(time.Millisecond), quoteMarker(acceptLine))
			}
			if lastError != "" {
				reason += "; last error: " + lastError
			}
			return verdictDone(Verdict{Reason: reason, TimedOut: true})
		case <-ticker.C:
		}
	}
}

func quoteMarker(line string) string {
	for _, m := range []string{AcceptMarker} {
		if strings.Contains(line, m) {
			return fmt.Sprintf("%q", m)
		}
	}
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return fmt.Sprintf("%q", line)
}

// RestartAndWait marks the log, restarts c and waits for the verdict. A failing restart
// command does not end the wait (systemd reports the failure of a refused start, and the log
// says why); its error is added to the Reason when the log gives none.
func RestartAndWait(ctx context.Context, c Controller, logPath string, opts WaitOptions) (Verdict, error) {
	mark, err := MarkLog(logPath)
	if err != nil {
		return Verdict{}, fmt.Errorf("restart and wait: %w", err)
	}
	opts.Mark = &mark
	restartErr := c.Restart(ctx)
	if restartErr != nil && ctx.Err() != nil {
		return Verdict{}, fmt.Errorf("restart and wait: %w", restartErr)
	}
	v, err := WaitAccepted(ctx, c, logPath, mark.Offset, opts)
	if err != nil {
		if restartErr != nil {
			return v, fmt.Errorf("restart and wait: %w (after %v)", err, restartErr)
		}
		return v, err
	}
	if restartErr != nil && !v.Accepted && !strings.Contains(v.Reason, RefuseMarker) {
		v.Reason += "; restart: " + restartErr.Error()
	}
	return v, nil
}
