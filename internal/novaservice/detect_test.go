package novaservice

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvm-migration/cpuflags/internal/hostpath"
)

// fakeHost makes a host root holding the given files (empty) and directories
// (names ending in /).
func fakeHost(t *testing.T, paths ...string) hostpath.HostDir {
	t.Helper()
	root := t.TempDir()
	for _, p := range paths {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return hostpath.HostDir(root)
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		host   []string
		given  Spec
		want   Spec
		reason string
	}{
		{name: "debian systemd", host: []string{"run/systemd/system/", "lib/systemd/system/nova-compute.service"},
			want: Spec{Kind: KindSystemd, Unit: "nova-compute"}, reason: "Debian/Ubuntu packages install nova-compute.service"},
		{name: "rhel systemd", host: []string{"run/systemd/system/", "usr/lib/systemd/system/openstack-nova-compute.service"},
			want: Spec{Kind: KindSystemd, Unit: "openstack-nova-compute"}, reason: "RDO names the unit openstack-nova-compute"},
		{name: "unit given", host: []string{"run/systemd/system/", "etc/systemd/system/nova-compute.service", "etc/systemd/system/openstack-nova-compute.service"},
			given: Spec{Unit: "openstack-nova-compute"}, want: Spec{Kind: KindSystemd, Unit: "openstack-nova-compute"},
			reason: "a given unit is the only one looked for"},
		{name: "unit file without systemd", host: []string{"lib/systemd/system/nova-compute.service"},
			want: Spec{}, reason: "a unit file alone is not systemd running"},
		{name: "sysv", host: []string{"etc/init.d/nova-compute"},
			want: Spec{Kind: KindSysV, Unit: "nova-compute", PIDFile: "/var/run/nova/nova-compute.pid"}, reason: "Debian without systemd"},
		{name: "sysv keeps the given pid file", host: []string{"etc/init.d/nova-compute"}, given: Spec{PIDFile: "/run/nc.pid"},
			want: Spec{Kind: KindSysV, Unit: "nova-compute", PIDFile: "/run/nc.pid"}, reason: "the operator's pid file wins"},
		{name: "nothing", want: Spec{}, reason: "no manager found: Kind stays empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Detect(fakeHost(t, tt.host...), tt.given)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Detect diff: (-want +got)\n%s\nreason: %v", diff, tt.reason)
			}
		})
	}
}

func TestSpecFromDict(t *testing.T) {
	t.Setenv("CPUFLAGS_TEST_LOG", "/srv/log")
	systemd := fakeHost(t, "run/systemd/system/", "etc/systemd/system/nova-compute.service")
	tests := []struct {
		name    string
		dict    map[string]any
		want    Spec
		wantErr string
		reason  string
	}{
		{name: "auto", dict: map[string]any{}, want: Spec{Kind: KindSystemd, Unit: "nova-compute", LogPath: DefaultLogPath},
			reason: "an empty dict detects the kind and uses the packages' log"},
		{name: "command", dict: map[string]any{"kind": "command", "restart_command": "svc restart nova", "status_command": []any{"svc", "status"},
			"log_path": "$CPUFLAGS_TEST_LOG/nova.log"},
			want:   Spec{Kind: KindCommand, RestartCommand: []string{"svc", "restart", "nova"}, StatusCommand: []string{"svc", "status"}, LogPath: "/srv/log/nova.log"},
			reason: "commands as a string or a list; $VARS expanded in paths"},
		{name: "unknown key", dict: map[string]any{"knd": "systemd"}, wantErr: `unknown key "knd"`, reason: "a typo is named"},
		{name: "bad command", dict: map[string]any{"kind": "command", "restart_command": 3}, wantErr: "service.restart_command must be a list",
			reason: "a command is a list or a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SpecFromDict(tt.dict, systemd)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q\nreason: %v", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SpecFromDict diff: (-want +got)\n%s\nreason: %v", diff, tt.reason)
			}
		})
	}
	if _, err := SpecFromDict(map[string]any{}, fakeHost(t)); err == nil || !strings.Contains(err.Error(), "set service.kind") {
		t.Errorf("no manager on the host: err = %v, want one asking for service.kind", err)
	}
}
