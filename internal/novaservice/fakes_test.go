package novaservice

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeController is a Controller whose state a test scripts poll by poll.
type fakeController struct {
	mu         sync.Mutex
	polls      int
	onPoll     func(n int) bool // returns "running" for the n-th Running call (0-based)
	pid        func(n int) int  // nil: not a PIDer in effect (returns 0)
	runErr     error
	restartErr error
	restarts   int
	onRestart  func()
}

func (f *fakeController) Restart(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restarts++
	if f.onRestart != nil {
		f.onRestart()
	}
	return f.restartErr
}

func (f *fakeController) Running(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.runErr != nil {
		return false, f.runErr
	}
	n := f.polls
	f.polls++
	if f.onPoll == nil {
		return true, nil
	}
	return f.onPoll(n), nil
}

func (f *fakeController) PID(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pid == nil {
		return 0, nil
	}
	return f.pid(f.polls), nil
}

// fakeLog is a nova-compute log file in a temp dir that tests append to, rotate and truncate.
type fakeLog struct {
	t    *testing.T
	path string
}

func newFakeLog(t *testing.T, initial ...string) *fakeLog {
	t.Helper()
	l := &fakeLog{t: t, path: filepath.Join(t.TempDir(), "nova-compute.log")}
	l.write(initial...)
	return l
}

func (l *fakeLog) write(lines ...string) {
	l.t.Helper()
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	for _, s := range lines {
		if _, err := f.WriteString(s); err != nil {
			l.t.Fatal(err)
		}
	}
}

// rotate renames the log to path.1 like logrotate without copytruncate.
func (l *fakeLog) rotate() {
	l.t.Helper()
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		l.t.Fatal(err)
	}
}

// truncate empties the log in place like logrotate's copytruncate.
func (l *fakeLog) truncate() {
	l.t.Helper()
	if err := os.Truncate(l.path, 0); err != nil {
		l.t.Fatal(err)
	}
}

// Lines from Debian's nova-compute 26.2.2 on the rig (pid and request ids kept, ESC[00m kept),
// except logHVError, which is shaped like them around the HypervisorUnavailable exception.
const (
	logStarting = "2026-11-25 22:16:54.766 20336 INFO nova.service [-] Starting compute node (version 26.2.2)\x1b[00m\n"
	logAccept   = "2026-11-25 22:17:47.095 24168 INFO nova.compute.manager [None req-066855cb-6c87-443a-8e17-ccbce53789f7 - - - - - -] Looking for unclaimed instances stuck in BUILDING status for nodes managed by this host\x1b[00m\n"
	logRefuse   = "2026-11-25 22:16:54.805 20336 ERROR oslo_service.service [-] Error starting thread.: nova.exception.InvalidCPUInfo: Configured CPU model: Westmere and CPU Flags ['fma4'] ar not compatible with host CPU. Please correct your config and try again. Unacceptable CPU info: CPU doesn't have compatibility.\x1b[00m\n"
	logTrace    = "2026-11-25 22:16:54.805 20336 ERROR oslo_service.service Traceback (most recent call last):\x1b[00m\n"
	logHVError  = "2026-11-25 22:10:01.000 1234 ERROR nova.virt.libvirt.host [-] Connection to libvirt failed: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied: nova.exception.HypervisorUnavailable: Connection to the hypervisor is broken on host\x1b[00m\n"
	logOther    = "2026-11-25 22:16:36.544 19655 INFO os_vif [-] Loaded VIF plugins: linux_bridge, noop, ovs\x1b[00m\n"
)

// refuseReason is logRefuse as WaitAccepted must report it: colour code and newline removed.
var refuseReason = strings.TrimSuffix(strings.TrimSuffix(logRefuse, "\n"), "\x1b[00m")
