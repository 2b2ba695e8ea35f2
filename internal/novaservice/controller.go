// Package novaservice restarts nova-compute and decides whether the restarted
// service accepted its configuration.
//
// A restart command that returns 0 proves nothing: Debian's init script reports
// success and nova-compute dies seconds later when its start-up CPU check
// (LibvirtDriver._check_cpu_compatibility, run from ComputeManager.init_host)
// rejects [libvirt] cpu_models / cpu_model_extra_flags. WaitAccepted therefore
// watches nova-compute's own log and the process state; see wait.go.
package novaservice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Kind says how nova-compute is managed on a host.
type Kind string

// The supported service managers.
const (
	// KindSystemd manages a systemd unit (nova-compute on Debian/Ubuntu, openstack-nova-compute on RHEL).
	KindSystemd Kind = "systemd"
	// KindSysV manages a SysV init script through service(8), e.g. Debian without systemd.
	KindSysV Kind = "sysv"
	// KindDocker manages a container with the docker CLI (kolla: nova_compute).
	KindDocker Kind = "docker"
	// KindPodman manages a container with the podman CLI (TripleO: nova_compute).
	KindPodman Kind = "podman"
	// KindCommand runs user-supplied restart and status commands.
	KindCommand Kind = "command"
)

// Kinds lists every supported Kind, in documentation order.
var Kinds = []Kind{KindSystemd, KindSysV, KindDocker, KindPodman, KindCommand}

// Spec describes how to control one nova-compute service.
type Spec struct {
	// Kind selects the service manager.
	Kind Kind `json:"kind" yaml:"kind"`
	// Unit is the systemd unit, init script or container name
	// (nova-compute, openstack-nova-compute, nova_compute). Unused for KindCommand.
	Unit string `json:"unit,omitempty" yaml:"unit,omitempty"`
	// RestartCommand is the argv that restarts the service (required for KindCommand,
	// optional override for the other kinds).
	RestartCommand []string `json:"restart_command,omitempty" yaml:"restart_command,omitempty"`
	// StatusCommand is the argv whose exit status 0 means "running" (required for
	// KindCommand, optional override for the other kinds).
	StatusCommand []string `json:"status_command,omitempty" yaml:"status_command,omitempty"`
	// PIDCommand optionally prints the main PID of the service; with it WaitAccepted
	// also notices a service that died and was restarted by its supervisor.
	PIDCommand []string `json:"pid_command,omitempty" yaml:"pid_command,omitempty"`
	// PIDFile is the pid file of a SysV service (Debian: /var/run/nova/nova-compute.pid).
	// When set, Running and PID read it instead of running StatusCommand.
	PIDFile string `json:"pid_file,omitempty" yaml:"pid_file,omitempty"`
	// LogPath is nova-compute's log file as seen from this host
	// (/var/log/nova/nova-compute.log, kolla: /var/log/kolla/nova/nova-compute.log).
	LogPath string `json:"log_path,omitempty" yaml:"log_path,omitempty"`
	// Runner runs the commands; nil means the real os/exec runner.
	Runner Runner `json:"-" yaml:"-"`
}

// Controller restarts nova-compute and reports whether its process is running.
type Controller interface {
	// Restart restarts the service. Success only means the manager accepted the request.
	Restart(ctx context.Context) error
	// Running reports whether the service's process is running now.
	Running(ctx context.Context) (bool, error)
}

// PIDer is implemented by controllers that can name the service's main process.
// A PID of 0 means "unknown or not running".
type PIDer interface {
	PID(ctx context.Context) (int, error)
}

// Runner runs one command. err is reserved for failures to run the command at all
// (not found, context cancelled); a command that ran and failed reports its exit code.
type Runner interface {
	Run(ctx context.Context, argv []string) (output []byte, exitCode int, err error)
}

// ExecRunner is the Runner that executes commands on this host.
type ExecRunner struct{}

// Run executes argv and returns its combined output and exit code.
func (ExecRunner) Run(ctx context.Context, argv []string) ([]byte, int, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, -1, errors.New("run: empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && ctx.Err() == nil {
		return out, exitErr.ExitCode(), nil
	}
	if err != nil {
		return out, -1, fmt.Errorf("run %s: %w", strings.Join(argv, " "), err)
	}
	return out, 0, nil
}

// New validates spec and returns a Controller for it. The returned controller
// also implements PIDer when the kind (or spec.PIDCommand / spec.PIDFile) can name the process.
func New(spec Spec) (Controller, error) {
	if spec.Runner == nil {
		spec.Runner = ExecRunner{}
	}
	for name, argv := range map[string][]string{
		"restart_command": spec.RestartCommand, "status_command": spec.StatusCommand, "pid_command": spec.PIDCommand,
	} {
		if len(argv) > 0 && strings.TrimSpace(argv[0]) == "" {
			return nil, fmt.Errorf("service spec: %s %q has an empty program name; give the program as its first element", name, argv)
		}
	}
	switch spec.Kind {
	case KindSystemd, KindSysV, KindDocker, KindPodman:
		if err := validUnit(spec.Kind, spec.Unit); err != nil {
			return nil, err
		}
	case KindCommand:
		if len(spec.RestartCommand) == 0 || len(spec.StatusCommand) == 0 {
			return nil, fmt.Errorf("service spec: kind %q needs both restart_command and status_command (argv lists, e.g. [\"service\", \"nova-compute\", \"restart\"])", spec.Kind)
		}
	case "":
		return nil, fmt.Errorf("service spec: kind is empty; set it to one of %s", kindList())
	default:
		return nil, fmt.Errorf("service spec: unknown kind %q; set it to one of %s", spec.Kind, kindList())
	}
	if spec.PIDFile != "" && !strings.HasPrefix(spec.PIDFile, "/") {
		return nil, fmt.Errorf("service spec: pid_file %q is not an absolute path", spec.PIDFile)
	}
	if spec.PIDFile != "" && spec.Kind != KindSysV && spec.Kind != KindCommand {
		return nil, fmt.Errorf("service spec: pid_file is only used with kind sysv or command, not %q; remove it", spec.Kind)
	}
	return &controller{spec: spec}, nil
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// validUnit rejects names that would be read as options or could not be a unit/container name.
func validUnit(k Kind, unit string) error {
	if unit == "" {
		return fmt.Errorf("service spec: kind %q needs unit (e.g. nova-compute, openstack-nova-compute or container nova_compute)", k)
	}
	if strings.HasPrefix(unit, "-") {
		return fmt.Errorf("service spec: unit %q starts with '-' and would be read as an option; give the unit name", unit)
	}
	for _, r := range unit {
		ok := r == '-' || r == '_' || r == '.' || r == '@' || r == ':' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			//lint:ignore ST1005 the message ends with the list of allowed characters, ':' among them
			return fmt.Errorf("service spec: unit %q contains %q; unit and container names use letters, digits and - _ . @ :", unit, r)
		}
	}
	return nil
}

type controller struct{ spec Spec }

func (c *controller) restartArgv() []string {
	if len(c.spec.RestartCommand) > 0 {
		return c.spec.RestartCommand
	}
	u := c.spec.Unit
	switch c.spec.Kind {
	case KindSystemd:
		return []string{"systemctl", "restart", u}
	case KindSysV:
		return []string{"service", u, "restart"}
	case KindDocker:
		return []string{"docker", "restart", u}
	case KindPodman:
		return []string{"podman", "restart", u}
	}
	return nil
}

// Restart runs the restart command; a non-zero exit is an error carrying the command's output.
func (c *controller) Restart(ctx context.Context) error {
	argv := c.restartArgv()
	out, code, err := c.spec.Runner.Run(ctx, argv)
	if err != nil {
		return fmt.Errorf("restart %s: %w", c.name(), err)
	}
	if code != 0 {
		return fmt.Errorf("restart %s: %s exited %d: %s", c.name(), strings.Join(argv, " "), code, clip(out))
	}
	return nil
}

func (c *controller) name() string {
	if c.spec.Unit != "" {
		return string(c.spec.Kind) + " " + c.spec.Unit
	}
	return "service"
}

// Running reports whether the service process is up.
func (c *controller) Running(ctx context.Context) (bool, error) {
	if len(c.spec.StatusCommand) > 0 {
		return c.statusExit(ctx, c.spec.StatusCommand, false)
	}
	if c.spec.PIDFile != "" {
		pid, err := c.pidFromFile()
		return pid > 0, err
	}
	u := c.spec.Unit
	switch c.spec.Kind {
	case KindSystemd:
		props, err := c.systemdShow(ctx, "LoadState", "ActiveState")
		if err != nil {
			return false, err
		}
		if props["LoadState"] == "not-found" {
			return false, fmt.Errorf("systemd unit %s not found; check the unit name (openstack-nova-compute on RHEL)", u)
		}
		switch props["ActiveState"] {
		case "active", "activating", "reloading":
			return true, nil
		}
		return false, nil
	case KindSysV:
		// LSB: 0 running, 1-3 not running, 4 unknown.
		return c.statusExit(ctx, []string{"service", u, "status"}, true)
	case KindDocker, KindPodman:
		out, err := c.inspect(ctx, "{{.State.Running}}")
		if err != nil {
			return false, err
		}
		return out == "true", nil
	}
	return false, fmt.Errorf("running %s: no status command", c.name())
}

func (c *controller) statusExit(ctx context.Context, argv []string, lsb bool) (bool, error) {
	out, code, err := c.spec.Runner.Run(ctx, argv)
	if err != nil {
		return false, fmt.Errorf("status of %s: %w", c.name(), err)
	}
	if lsb && code >= 4 {
		return false, fmt.Errorf("status of %s: %s exited %d (status unknown): %s", c.name(), strings.Join(argv, " "), code, clip(out))
	}
	return code == 0, nil
}

// PID returns the service's main PID, or 0 when it is not running or cannot be named.
func (c *controller) PID(ctx context.Context) (int, error) {
	switch {
	case len(c.spec.PIDCommand) > 0:
		out, code, err := c.spec.Runner.Run(ctx, c.spec.PIDCommand)
		if err != nil {
			return 0, fmt.Errorf("pid of %s: %w", c.name(), err)
		}
		if code != 0 {
			return 0, nil
		}
		return parsePID(string(out), "pid_command output")
	case c.spec.PIDFile != "":
		return c.pidFromFile()
	}
	switch c.spec.Kind {
	case KindSystemd:
		props, err := c.systemdShow(ctx, "MainPID")
		if err != nil {
			return 0, err
		}
		return parsePID(props["MainPID"], "systemd MainPID")
	case KindDocker, KindPodman:
		out, err := c.inspect(ctx, "{{.State.Pid}}")
		if err != nil {
			return 0, err
		}
		return parsePID(out, string(c.spec.Kind)+" State.Pid")
	}
	return 0, nil
}

func (c *controller) systemdShow(ctx context.Context, props ...string) (map[string]string, error) {
	argv := []string{"systemctl", "show", "--property=" + strings.Join(props, ","), c.spec.Unit}
	out, code, err := c.spec.Runner.Run(ctx, argv)
	if err != nil {
		return nil, fmt.Errorf("status of %s: %w", c.name(), err)
	}
	if code != 0 {
		return nil, fmt.Errorf("status of %s: %s exited %d: %s", c.name(), strings.Join(argv, " "), code, clip(out))
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			m[k] = v
		}
	}
	return m, nil
}

func (c *controller) inspect(ctx context.Context, format string) (string, error) {
	argv := []string{string(c.spec.Kind), "inspect", "--format", format, c.spec.Unit}
	out, code, err := c.spec.Runner.Run(ctx, argv)
	if err != nil {
		return "", fmt.Errorf("status of %s: %w", c.name(), err)
	}
	if code != 0 {
		return "", fmt.Errorf("status of %s: %s exited %d (is the container name right?): %s", c.name(), strings.Join(argv, " "), code, clip(out))
	}
	return strings.TrimSpace(string(out)), nil
}

// pidFromFile returns the pid in spec.PIDFile when that process is alive (and not a zombie), else 0.
func (c *controller) pidFromFile() (int, error) {
	data, err := os.ReadFile(c.spec.PIDFile)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return 0, nil
	}
	pid, err := parsePID(string(data), "pid file "+c.spec.PIDFile)
	if err != nil || pid == 0 {
		return 0, err
	}
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, nil // gone
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "State:" && f[1] == "Z" {
			return 0, nil
		}
	}
	return pid, nil
}

func parsePID(s, what string) (int, error) {
	s = strings.TrimSpace(s)
	pid, err := strconv.Atoi(s)
	if err != nil || pid < 0 {
		return 0, fmt.Errorf("parse %s: %q is not a process id", what, clip([]byte(s)))
	}
	return pid, nil
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
