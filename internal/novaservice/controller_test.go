package novaservice

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// fakeRunner is a Runner that records argv and answers from a table keyed by the joined argv.
type fakeRunner struct {
	calls   [][]string
	answers map[string]fakeAnswer
}

type fakeAnswer struct {
	out  string
	code int
	err  error
}

func (r *fakeRunner) Run(_ context.Context, argv []string) ([]byte, int, error) {
	r.calls = append(r.calls, argv)
	a, ok := r.answers[strings.Join(argv, " ")]
	if !ok {
		return nil, -1, errors.New("fakeRunner: unexpected command " + strings.Join(argv, " "))
	}
	return []byte(a.out), a.code, a.err
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		spec    Spec
		wantErr string // "" means valid
	}{
		{"systemd", "the common case", Spec{Kind: KindSystemd, Unit: "nova-compute"}, ""},
		{"rhel unit", "RDO's unit name", Spec{Kind: KindSystemd, Unit: "openstack-nova-compute.service"}, ""},
		{"sysv with pid file", "the rig", Spec{Kind: KindSysV, Unit: "nova-compute", PIDFile: "/var/run/nova/nova-compute.pid"}, ""},
		{"docker", "kolla", Spec{Kind: KindDocker, Unit: "nova_compute"}, ""},
		{"podman", "tripleo", Spec{Kind: KindPodman, Unit: "nova_compute"}, ""},
		{"command", "anything else", Spec{Kind: KindCommand, RestartCommand: []string{"/bin/true"}, StatusCommand: []string{"/bin/true"}}, ""},
		{"empty kind", "must be chosen", Spec{Unit: "nova-compute"}, "kind is empty; set it to one of systemd, sysv, docker, podman, command"},
		{"unknown kind", "typo", Spec{Kind: "upstart", Unit: "nova-compute"}, `unknown kind "upstart"`},
		{"missing unit", "systemd needs a unit", Spec{Kind: KindSystemd}, "needs unit"},
		{"option-like unit", "would be read as a flag", Spec{Kind: KindDocker, Unit: "--rm"}, "starts with '-'"},
		{"unit with space", "argv injection / typo", Spec{Kind: KindSysV, Unit: "nova compute"}, `contains ' '`},
		{"unit with slash", "not a unit name", Spec{Kind: KindSystemd, Unit: "../nova"}, `contains '/'`},
		{"command without status", "both commands are needed", Spec{Kind: KindCommand, RestartCommand: []string{"x"}}, "needs both restart_command and status_command"},
		{"empty program", "argv[0] must name a program", Spec{Kind: KindSystemd, Unit: "nova-compute", RestartCommand: []string{" ", "x"}}, "restart_command"},
		{"relative pid file", "pid files are absolute", Spec{Kind: KindSysV, Unit: "nova-compute", PIDFile: "run/nova.pid"}, "not an absolute path"},
		{"pid file with docker", "meaningless there", Spec{Kind: KindDocker, Unit: "nova_compute", PIDFile: "/run/x.pid"}, "only used with kind sysv or command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.spec)
			if tc.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v (%s)", err, tc.reason)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New err = %v, want %q (%s)", err, tc.wantErr, tc.reason)
			}
		})
	}
}

func TestControllerCommands(t *testing.T) {
	tests := []struct {
		name        string
		reason      string
		spec        Spec
		answers     map[string]fakeAnswer
		wantRestart []string
		wantRunning bool
		wantRunErr  string
		wantPID     int
	}{
		{
			name:        "systemd active",
			reason:      "restart and ActiveState",
			spec:        Spec{Kind: KindSystemd, Unit: "nova-compute"},
			answers:     map[string]fakeAnswer{"systemctl restart nova-compute": {}, "systemctl show --property=LoadState,ActiveState nova-compute": {out: "LoadState=loaded\nActiveState=active\n"}, "systemctl show --property=MainPID nova-compute": {out: "MainPID=4242\n"}},
			wantRestart: []string{"systemctl", "restart", "nova-compute"},
			wantRunning: true,
			wantPID:     4242,
		},
		{
			name:        "systemd activating counts as running",
			reason:      "Type=notify units are activating until READY=1",
			spec:        Spec{Kind: KindSystemd, Unit: "nova-compute"},
			answers:     map[string]fakeAnswer{"systemctl restart nova-compute": {}, "systemctl show --property=LoadState,ActiveState nova-compute": {out: "LoadState=loaded\nActiveState=activating\n"}, "systemctl show --property=MainPID nova-compute": {out: "MainPID=7\n"}},
			wantRestart: []string{"systemctl", "restart", "nova-compute"},
			wantRunning: true,
			wantPID:     7,
		},
		{
			name:        "systemd failed",
			reason:      "a unit that exited",
			spec:        Spec{Kind: KindSystemd, Unit: "nova-compute"},
			answers:     map[string]fakeAnswer{"systemctl restart nova-compute": {}, "systemctl show --property=LoadState,ActiveState nova-compute": {out: "LoadState=loaded\nActiveState=failed\n"}, "systemctl show --property=MainPID nova-compute": {out: "MainPID=0\n"}},
			wantRestart: []string{"systemctl", "restart", "nova-compute"},
		},
		{
			name:        "systemd unknown unit",
			reason:      "a wrong unit name must not read as 'stopped'",
			spec:        Spec{Kind: KindSystemd, Unit: "nova-compute"},
			answers:     map[string]fakeAnswer{"systemctl restart nova-compute": {}, "systemctl show --property=LoadState,ActiveState nova-compute": {out: "LoadState=not-found\nActiveState=inactive\n"}, "systemctl show --property=MainPID nova-compute": {out: "MainPID=0\n"}},
			wantRestart: []string{"systemctl", "restart", "nova-compute"},
			wantRunErr:  "not found",
		},
		{
			name:        "sysv status running",
			reason:      "LSB exit 0",
			spec:        Spec{Kind: KindSysV, Unit: "nova-compute"},
			answers:     map[string]fakeAnswer{"service nova-compute restart": {}, "service nova-compute status": {out: "nova-compute is running."}},
			wantRestart: []string{"service", "nova-compute", "restart"},
			wantRunning: true,
		},
		{
			name:        "sysv status stopped",
			reason:      "LSB exit 3",
			spec:        Spec{Kind: KindSysV, Unit: "nova-compute"},
			answers:     map[string]fakeAnswer{"service nova-compute restart": {}, "service nova-compute status": {out: "nova-compute is not running ... failed!", code: 3}},
			wantRestart: []string{"service", "nova-compute", "restart"},
		},
		{
			name:        "sysv status unknown",
			reason:      "LSB exit 4 is not an answer",
			spec:        Spec{Kind: KindSysV, Unit: "nova-compute"},
			answers:     map[string]fakeAnswer{"service nova-compute restart": {}, "service nova-compute status": {code: 4}},
			wantRestart: []string{"service", "nova-compute", "restart"},
			wantRunErr:  "status unknown",
		},
		{
			name:        "docker running",
			reason:      "kolla container",
			spec:        Spec{Kind: KindDocker, Unit: "nova_compute"},
			answers:     map[string]fakeAnswer{"docker restart nova_compute": {}, "docker inspect --format {{.State.Running}} nova_compute": {out: "true\n"}, "docker inspect --format {{.State.Pid}} nova_compute": {out: "991\n"}},
			wantRestart: []string{"docker", "restart", "nova_compute"},
			wantRunning: true,
			wantPID:     991,
		},
		{
			name:        "podman missing container",
			reason:      "inspect failing is an error naming the container",
			spec:        Spec{Kind: KindPodman, Unit: "nova_compute"},
			answers:     map[string]fakeAnswer{"podman restart nova_compute": {}, "podman inspect --format {{.State.Running}} nova_compute": {out: "Error: no such container", code: 125}, "podman inspect --format {{.State.Pid}} nova_compute": {code: 125}},
			wantRestart: []string{"podman", "restart", "nova_compute"},
			wantRunErr:  "is the container name right?",
		},
		{
			name:        "command kind",
			reason:      "user argv, status by exit code, pid by command",
			spec:        Spec{Kind: KindCommand, RestartCommand: []string{"ssh", "hv1", "restart-nova"}, StatusCommand: []string{"ssh", "hv1", "nova-up"}, PIDCommand: []string{"ssh", "hv1", "nova-pid"}},
			answers:     map[string]fakeAnswer{"ssh hv1 restart-nova": {}, "ssh hv1 nova-up": {code: 1}, "ssh hv1 nova-pid": {out: "55\n"}},
			wantRestart: []string{"ssh", "hv1", "restart-nova"},
			wantPID:     55,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &fakeRunner{answers: tc.answers}
			tc.spec.Runner = r
			c, err := New(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Restart(context.Background()); err != nil {
				t.Fatalf("Restart: %v", err)
			}
			if !reflect.DeepEqual(r.calls[0], tc.wantRestart) {
				t.Errorf("restart argv = %q, want %q (%s)", r.calls[0], tc.wantRestart, tc.reason)
			}
			running, err := c.Running(context.Background())
			if tc.wantRunErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantRunErr) {
					t.Fatalf("Running err = %v, want %q (%s)", err, tc.wantRunErr, tc.reason)
				}
				return
			}
			if err != nil || running != tc.wantRunning {
				t.Fatalf("Running = %v, %v; want %v (%s)", running, err, tc.wantRunning, tc.reason)
			}
			p, ok := c.(PIDer)
			if !ok {
				t.Fatal("controller is not a PIDer")
			}
			if tc.wantPID != 0 || tc.spec.Kind != KindSysV {
				pid, err := p.PID(context.Background())
				if err != nil || pid != tc.wantPID {
					t.Errorf("PID = %d, %v; want %d (%s)", pid, err, tc.wantPID, tc.reason)
				}
			}
		})
	}
}

func TestRestartFailure(t *testing.T) {
	r := &fakeRunner{answers: map[string]fakeAnswer{"service nova-compute restart": {out: "Failed to start", code: 1}}}
	c, err := New(Spec{Kind: KindSysV, Unit: "nova-compute", Runner: r})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Restart(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exited 1: Failed to start") {
		t.Fatalf("Restart err = %v, want exit status and output", err)
	}
}

func TestPIDFile(t *testing.T) {
	dir := t.TempDir()
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		name        string
		reason      string
		content     *string
		wantPID     int
		wantRunning bool
		wantErr     string
	}{
		{"alive", "our own process is alive", ptr(self + "\n"), os.Getpid(), true, ""},
		{"missing file", "stopped service, no pid file", nil, 0, false, ""},
		{"empty file", "being written", ptr(""), 0, false, ""},
		{"dead pid", "stale pid file", ptr("2147483646"), 0, false, ""},
		{"garbage", "not a number is an error, not 'stopped'", ptr("nova"), 0, false, "not a process id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".pid")
			if tc.content != nil {
				if err := os.WriteFile(path, []byte(*tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c, err := New(Spec{Kind: KindSysV, Unit: "nova-compute", PIDFile: path, Runner: &fakeRunner{}})
			if err != nil {
				t.Fatal(err)
			}
			running, err := c.Running(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q (%s)", err, tc.wantErr, tc.reason)
				}
				return
			}
			pid, err2 := c.(PIDer).PID(context.Background())
			if err != nil || err2 != nil || running != tc.wantRunning || pid != tc.wantPID {
				t.Fatalf("Running=%v,%v PID=%d,%v; want %v,%d (%s)", running, err, pid, err2, tc.wantRunning, tc.wantPID, tc.reason)
			}
		})
	}
}

func ptr(s string) *string { return &s }
