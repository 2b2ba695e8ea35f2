package novaservice

import (
	"fmt"
	"os"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/hostpath"
)

// DefaultLogPath is nova-compute's log file on distribution packages.
const DefaultLogPath = "/var/log/nova/nova-compute.log"

// SpecKeys are the keys of the service dict that SpecFromDict reads.
var SpecKeys = []string{"kind", "unit", "restart_command", "status_command", "pid_command", "pid_file", "log_path"}

// SpecFromDict builds a Spec from the module's service dict (SpecKeys; the
// commands as argument lists or strings, $VARS expanded in the paths) and,
// when the kind is auto or missing, detects it on the host under root.
func SpecFromDict(d map[string]any, root hostpath.HostDir) (Spec, error) {
	for k := range d {
		known := false
		for _, s := range SpecKeys {
			known = known || k == s
		}
		if !known {
			return Spec{}, fmt.Errorf("service: unknown key %q; known keys: %s", k, strings.Join(SpecKeys, ", "))
		}
	}
	str := func(k string) string {
		if v, ok := d[k]; ok && v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	argv := func(k string) ([]string, error) {
		switch v := d[k].(type) {
		case nil:
			return nil, nil
		case string:
			return strings.Fields(v), nil
		case []any:
			out := make([]string, len(v))
			for i, e := range v {
				out[i] = fmt.Sprint(e)
			}
			return out, nil
		}
		return nil, fmt.Errorf("service.%s must be a list of arguments or a string", k)
	}
	s := Spec{Kind: Kind(str("kind")), Unit: str("unit"),
		PIDFile: os.ExpandEnv(str("pid_file")), LogPath: os.ExpandEnv(str("log_path"))}
	var err error
	if s.RestartCommand, err = argv("restart_command"); err != nil {
		return s, err
	}
	if s.StatusCommand, err = argv("status_command"); err != nil {
		return s, err
	}
	if s.PIDCommand, err = argv("pid_command"); err != nil {
		return s, err
	}
	if s.LogPath == "" {
		s.LogPath = DefaultLogPath
	}
	if s.Kind == "" || s.Kind == "auto" {
		s = Detect(root, s)
		if s.Kind == "" {
			return s, fmt.Errorf("service.kind: cannot tell how nova-compute is managed here (no systemd unit nova-compute/openstack-nova-compute, no /etc/init.d/nova-compute); set service.kind to one of systemd, sysv, docker, podman, command")
		}
	}
	return s, nil
}

// Detect fills Kind (and Unit, PIDFile) from what the host under root has:
// a systemd unit nova-compute or openstack-nova-compute when systemd runs,
// else the SysV script /etc/init.d/nova-compute. Kind stays "" when neither
// is there.
func Detect(root hostpath.HostDir, s Spec) Spec {
	if _, err := os.Stat(root.Path("run/systemd/system")); err == nil {
		for _, unit := range []string{"nova-compute", "openstack-nova-compute"} {
			if s.Unit != "" && s.Unit != unit {
				continue
			}
			for _, dir := range []string{"etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"} {
				if _, err := os.Stat(root.Path(dir, unit+".service")); err == nil {
					s.Kind, s.Unit = KindSystemd, unit
					return s
				}
			}
		}
	}
	if _, err := os.Stat(root.Path("etc/init.d/nova-compute")); err == nil {
		s.Kind = KindSysV
		if s.Unit == "" {
			s.Unit = "nova-compute"
		}
		if s.PIDFile == "" {
			s.PIDFile = "/var/run/nova/nova-compute.pid"
		}
	}
	return s
}
