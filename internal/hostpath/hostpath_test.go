package hostpath

import "testing"

func TestPath(t *testing.T) {
	tests := []struct {
		root   HostDir
		elem   []string
		want   string
		reason string
	}{
		{"", []string{"proc", "cpuinfo"}, "/proc/cpuinfo", "an empty root is the live host"},
		{"/", []string{"/etc/init.d/nova-compute"}, "/etc/init.d/nova-compute", "absolute elements stay under the root"},
		{"/host", []string{"/run/systemd/system"}, "/host/run/systemd/system", "a container's view of the host"},
		{"/tmp/t", []string{"etc", "..", "proc"}, "/tmp/t/proc", "the result is cleaned"},
	}
	for _, tt := range tests {
		if got := tt.root.Path(tt.elem...); got != tt.want {
			t.Errorf("HostDir(%q).Path(%q) = %q, want %q; reason: %s", tt.root, tt.elem, got, tt.want, tt.reason)
		}
	}
}
