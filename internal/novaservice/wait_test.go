package novaservice

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// fastOpts keeps unit tests quick: decisions come from poll counts, not wall time.
func fastOpts() WaitOptions {
	return WaitOptions{Grace: 30 * time.Millisecond, Poll: 2 * time.Millisecond, ExitConfirm: 10 * time.Millisecond}
}

func TestWaitAccepted(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		// before: log content before the restart mark; after: appended before waiting.
		before, after []string
		// poll scripts the fake service: running state per Running call, and log actions.
		poll         func(n int, l *fakeLog) bool
		pid          func(n int) int
		grace        time.Duration // overrides fastOpts' grace where the death must fall inside it
		timeout      time.Duration
		wantAccepted bool
		wantTimedOut bool
		wantReason   []string // substrings of Reason (exact line for InvalidCPUInfo rows)
		wantExact    string
	}{
		{
			name:         "accepted",
			reason:       "marker after the mark and process alive through the grace period",
			before:       []string{logOther},
			after:        []string{logStarting, logAccept},
			wantAccepted: true,
			wantReason:   []string{AcceptMarker, "still running"},
		},
		{
			name:      "refused by InvalidCPUInfo",
			reason:    "Nova's own line is the reason, without the colour code",
			after:     []string{logStarting, logRefuse, logTrace},
			wantExact: refuseReason,
		},
		{
			name:      "refused although the marker follows in the same batch",
			reason:    "a refusal wins over an accept marker",
			after:     []string{logRefuse, logAccept},
			wantExact: refuseReason,
		},
		{
			name:       "exited without a marker",
			reason:     "a process that dies before the marker is refused, with its last ERROR",
			after:      []string{logStarting, logHVError},
			poll:       func(int, *fakeLog) bool { return false },
			wantReason: []string{"not running", "never logged", "HypervisorUnavailable"},
		},
		{
			name:       "exited with a silent log",
			reason:     "no ERROR line: the reason says so",
			poll:       func(int, *fakeLog) bool { return false },
			wantReason: []string{"not running", "no ERROR in"},
		},
		{
			name:   "marker then exit during grace",
			reason: "the marker alone is not acceptance; the process must survive the grace period",
			after:  []string{logAccept},
			poll: func(n int, _ *fakeLog) bool {
				return n < 2
			},
			grace:      time.Minute,
			wantReason: []string{"then stopped"},
		},
		{
			name:   "InvalidCPUInfo logged just before the exit is seen",
			reason: "the last log read before judging an exit finds the refusal",
			poll: func(n int, l *fakeLog) bool {
				if n == 1 {
					l.write(logRefuse)
				}
				return n == 0
			},
			wantExact: refuseReason,
		},
		{
			name:   "brief stop shorter than ExitConfirm",
			reason: "a manager's restarting state is not an exit",
			poll: func(n int, l *fakeLog) bool {
				if n == 3 {
					l.write(logAccept)
				}
				return n != 1
			},
			wantAccepted: true,
		},
		{
			name:         "lines before the offset are ignored",
			reason:       "an old refusal and an old marker belong to the previous run",
			before:       []string{logRefuse, logAccept},
			timeout:      60 * time.Millisecond,
			wantTimedOut: true,
			wantReason:   []string{"timed out"},
		},
		{
			name:       "restarted by its supervisor during grace",
			reason:     "a PID change after the marker means the process died and came back",
			after:      []string{logAccept},
			pid:        func(n int) int { return map[bool]int{true: 100, false: 200}[n < 3] },
			grace:      300 * time.Millisecond,
			wantReason: []string{"restarted during", "pid 100, now 200"},
		},
		{
			name:   "marker line completed later",
			reason: "a partial line is not matched until its newline arrives",
			after:  []string{logAccept[:40]},
			poll: func(n int, l *fakeLog) bool {
				if n == 2 {
					l.write(logAccept[40:])
				}
				return true
			},
			wantAccepted: true,
		},
		{
			name:   "rotated by rename",
			reason: "the old file is drained, then the new file is read from its start",
			before: []string{logOther},
			after:  []string{logStarting},
			poll: func(n int, l *fakeLog) bool {
				if n == 1 {
					l.rotate()
					l.write(logOther, logAccept)
				}
				return true
			},
			wantAccepted: true,
		},
		{
			name:   "rotated by rename with the refusal in the old file",
			reason: "lines written to the old file before the rename still count",
			before: []string{logOther},
			poll: func(n int, l *fakeLog) bool {
				if n == 1 {
					l.write(logRefuse)
					l.rotate()
					l.write(logOther)
				}
				return true
			},
			wantExact: refuseReason,
		},
		{
			name:   "copytruncate to a shorter file",
			reason: "size below the offset: read from 0",
			before: []string{logOther, logOther, logOther, logOther},
			poll: func(n int, l *fakeLog) bool {
				if n == 1 {
					l.truncate()
					l.write(logAccept)
				}
				return true
			},
			wantAccepted: true,
		},
		{
			name:   "copytruncate then regrown past the offset",
			reason: "size alone cannot tell; the bytes before the offset changed (the offset falls mid-line in the new content)",
			before: []string{logOther, logOther},
			poll: func(n int, l *fakeLog) bool {
				if n == 1 {
					l.truncate()
					l.write(logStarting, logRefuse)
				}
				return true
			},
			wantExact: refuseReason,
		},
		{
			name:   "log created after the restart",
			reason: "a missing file is read from its start once it appears",
			poll: func(n int, l *fakeLog) bool {
				if n == 2 {
					l.write(logAccept)
				}
				return true
			},
			wantAccepted: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newFakeLog(t, tc.before...)
			if tc.name == "log created after the restart" {
				os.Remove(l.path)
			}
			mark, err := MarkLog(l.path)
			if err != nil {
				t.Fatal(err)
			}
			l.write(tc.after...)
			c := &fakeController{pid: tc.pid}
			if tc.poll != nil {
				c.onPoll = func(n int) bool { return tc.poll(n, l) }
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			opts := fastOpts()
			opts.Mark = &mark
			if tc.grace > 0 {
				opts.Grace = tc.grace
			}
			v, err := WaitAccepted(ctx, c, l.path, mark.Offset, opts)
			if err != nil {
				t.Fatalf("WaitAccepted: %v (%s)", err, tc.reason)
			}
			if v.Accepted != tc.wantAccepted || v.TimedOut != tc.wantTimedOut {
				t.Fatalf("verdict %+v, want accepted=%v timed_out=%v (%s)", v, tc.wantAccepted, tc.wantTimedOut, tc.reason)
			}
			if tc.wantExact != "" && v.Reason != tc.wantExact {
				t.Errorf("reason\n got %q\nwant %q (%s)", v.Reason, tc.wantExact, tc.reason)
			}
			for _, s := range tc.wantReason {
				if !strings.Contains(v.Reason, s) {
					t.Errorf("reason %q lacks %q (%s)", v.Reason, s, tc.reason)
				}
			}
			if v.Waited <= 0 {
				t.Errorf("Waited = %v, want > 0", v.Waited)
			}
		})
	}
}

func TestWaitAcceptedErrors(t *testing.T) {
	l := newFakeLog(t)
	tests := []struct {
		name    string
		reason  string
		c       Controller
		path    string
		offset  int64
		wantErr string
	}{
		{"nil controller", "nothing to ask", nil, l.path, 0, "nil controller"},
		{"empty path", "no log to read", &fakeController{}, "", 0, "empty log path"},
		{"negative offset", "offsets are sizes", &fakeController{}, l.path, -1, "negative log offset"},
		{"status fails", "not being able to look is an error, not a verdict", &fakeController{runErr: errors.New("docker: not found")}, l.path, 0, "docker: not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := WaitAccepted(context.Background(), tc.c, tc.path, tc.offset, fastOpts())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q (%s)", err, tc.wantErr, tc.reason)
			}
		})
	}
}

func TestRestartAndWait(t *testing.T) {
	tests := []struct {
		name         string
		reason       string
		restartErr   error
		onRestart    func(l *fakeLog)
		running      bool
		wantAccepted bool
		wantReason   []string
	}{
		{
			name:         "accepted",
			reason:       "the mark is taken before the restart, so the new marker counts and old lines do not",
			onRestart:    func(l *fakeLog) { l.write(logStarting, logAccept) },
			running:      true,
			wantAccepted: true,
		},
		{
			name:       "failing restart command with a refusal in the log",
			reason:     "systemd reports the failed start; Nova's line is still the reason",
			restartErr: errors.New("systemctl restart nova-compute exited 1"),
			onRestart:  func(l *fakeLog) { l.write(logRefuse) },
			wantReason: []string{"InvalidCPUInfo"},
		},
		{
			name:       "failing restart command and a silent log",
			reason:     "the restart error is the only evidence and is kept",
			restartErr: errors.New("service nova-compute restart exited 1"),
			wantReason: []string{"not running", "restart: service nova-compute restart exited 1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newFakeLog(t, logRefuse, logAccept) // previous run: must be ignored
			c := &fakeController{restartErr: tc.restartErr, onPoll: func(int) bool { return tc.running }}
			if tc.onRestart != nil {
				c.onRestart = func() { tc.onRestart(l) }
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			v, err := RestartAndWait(ctx, c, l.path, fastOpts())
			if err != nil {
				t.Fatal(err)
			}
			if c.restarts != 1 {
				t.Errorf("restarts = %d, want 1", c.restarts)
			}
			if v.Accepted != tc.wantAccepted {
				t.Fatalf("verdict %+v, want accepted=%v (%s)", v, tc.wantAccepted, tc.reason)
			}
			for _, s := range tc.wantReason {
				if !strings.Contains(v.Reason, s) {
					t.Errorf("reason %q lacks %q (%s)", v.Reason, s, tc.reason)
				}
			}
		})
	}
}

func TestVerdictJSON(t *testing.T) {
	b, err := json.Marshal(Verdict{Reason: "x", Waited: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"accepted":false,"reason":"x","waited":2000000000}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}
