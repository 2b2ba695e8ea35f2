package novaservice

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestLiveRig restarts the real nova-compute of tests/rig/nova-rig.sh with a good and two bad
// cpu_model_extra_flags and checks the verdicts. It runs only with CPUFLAGS_RIG=1 after
// `tests/rig/nova-rig.sh up` (as root), and restores nova.conf afterwards.
func TestLiveRig(t *testing.T) {
	if os.Getenv("CPUFLAGS_RIG") != "1" {
		t.Skip("set CPUFLAGS_RIG=1 after `tests/rig/nova-rig.sh up` to run against the real nova-compute")
	}
	confPath := envOr("NOVA_CONF", "/etc/nova/nova.conf")
	logPath := envOr("NOVA_LOG", "/var/log/nova/nova-compute.log")
	pidFile := envOr("NOVA_PIDFILE", "/var/run/nova/nova-compute.pid")
	orig, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatalf("read %s: %v (run tests/rig/nova-rig.sh up first)", confPath, err)
	}
	if !strings.Contains(string(orig), "cpu_models = Westmere") {
		t.Fatalf("%s is not the rig's nova.conf (no 'cpu_models = Westmere'); run tests/rig/nova-rig.sh up", confPath)
	}
	withPID, err := New(Spec{Kind: KindSysV, Unit: "nova-compute", PIDFile: pidFile, LogPath: logPath})
	if err != nil {
		t.Fatal(err)
	}
	withStatus, err := New(Spec{Kind: KindSysV, Unit: "nova-compute", LogPath: logPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(confPath, orig, 0o640); err != nil {
			t.Errorf("restore %s: %v", confPath, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		v, err := RestartAndWait(ctx, withPID, logPath, WaitOptions{})
		if err != nil || !v.Accepted {
			t.Errorf("restart with the restored config: %+v, %v", v, err)
		}
	})

	tests := []struct {
		name     string
		reason   string
		flags    string
		ctl      Controller
		accepted bool
	}{
		{"pcid", "Westmere lacks pcid, the host has it: libvirt compareCPU says superset", "pcid", withPID, true},
		{"fma4", "AMD-only flag on an Intel host", "fma4", withPID, false},
		{"constant_tsc", "Linux-only synthetic flag, unknown to libvirt; status via `service status`", "constant_tsc", withStatus, false},
		{"pcid again", "accepted after a refusal (nothing was running at restart)", "pcid", withStatus, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf := setExtraFlags(string(orig), tc.flags)
			if err := os.WriteFile(confPath, []byte(conf), 0o640); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			v, err := RestartAndWait(ctx, tc.ctl, logPath, WaitOptions{})
			if err != nil {
				t.Fatalf("RestartAndWait: %v", err)
			}
			t.Logf("flags=%s verdict accepted=%v in %s (total incl. restart %s): %s",
				tc.flags, v.Accepted, v.Waited.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), v.Reason)
			if v.Accepted != tc.accepted {
				t.Fatalf("accepted = %v, want %v (%s): %s", v.Accepted, tc.accepted, tc.reason, v.Reason)
			}
			if !tc.accepted && (!strings.Contains(v.Reason, "InvalidCPUInfo") || !strings.Contains(v.Reason, "'"+tc.flags+"'")) {
				t.Errorf("reason %q should be Nova's InvalidCPUInfo line naming %s", v.Reason, tc.flags)
			}
		})
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// setExtraFlags returns conf with [libvirt] cpu_model_extra_flags set to flags (replacing any).
func setExtraFlags(conf, flags string) string {
	var out []string
	section := ""
	for _, line := range strings.Split(conf, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "[") {
			section = trim
		}
		if section == "[libvirt]" && strings.HasPrefix(trim, "cpu_model_extra_flags") {
			continue
		}
		out = append(out, line)
		if section == "[libvirt]" && strings.HasPrefix(trim, "cpu_models") {
			out = append(out, "cpu_model_extra_flags = "+flags)
		}
	}
	return strings.Join(out, "\n")
}
