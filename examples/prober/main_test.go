package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

func TestVerdict(t *testing.T) {
	tests := []struct {
		name, reason   string
		stdout, stderr string
		succeeded      bool
		want           prober.Outcome
		wantOK         bool
	}{
		{name: "superset", reason: "virsh succeeds only when the CPU fits (--error)", succeeded: true,
			stdout: "Host CPU is a superset of CPU described in /tmp/x.xml\n",
			want:   prober.Outcome{Accepted: true, Reason: "Host CPU is a superset of CPU described in /tmp/x.xml"}, wantOK: true},
		{name: "incompatible", reason: "libvirt's reason is the refusal",
			stderr: "error: Failed to compare host CPU with /tmp/x.xml\nerror: the CPU is incompatible with host CPU: Host CPU does not provide required features: hle\n",
			want:   prober.Outcome{Reason: "the CPU is incompatible with host CPU: Host CPU does not provide required features: hle"}, wantOK: true},
		{name: "unknown feature", reason: "a name libvirt does not know stops nova-compute too",
			stderr: "error: Failed to compare host CPU with /tmp/x.xml\nerror: internal error: Unknown CPU feature constant_tsc\n",
			want:   prober.Outcome{Reason: "internal error: Unknown CPU feature constant_tsc"}, wantOK: true},
		{name: "unsupported", reason: "Nova skips the check where the driver cannot make it",
			stderr: "error: Failed to compare hypervisor CPU with /tmp/x.xml\nerror: this function is not supported by the connection driver: virConnectCompareHypervisorCPU\n",
			want:   prober.Outcome{Accepted: true, Reason: "this function is not supported by the connection driver: virConnectCompareHypervisorCPU"}, wantOK: true},
		{name: "connection lost", reason: "libvirt did not answer: an error, not a refusal",
			stderr: "error: Failed to compare host CPU with /tmp/x.xml\nerror: End of file while reading data: Input/output error\n"},
		{name: "no libvirtd", reason: "libvirt did not answer: an error, not a refusal",
			stderr: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := verdict(tt.stdout, tt.stderr, tt.succeeded)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("verdict = %+v, %v; want %+v, %v\nreason: %s", got, ok, tt.want, tt.wantOK, tt.reason)
			}
		})
	}
}

func TestCPUXML(t *testing.T) {
	got := string(cpuXML("Westmere", []string{"pcid", "+x2apic", "-hle", "a<b"}))
	want := `<cpu mode='custom' match='exact'>
  <model fallback='forbid'>Westmere</model>
  <feature policy='require' name='pcid'/>
  <feature policy='require' name='x2apic'/>
  <feature policy='disable' name='hle'/>
  <feature policy='require' name='a&lt;b'/>
</cpu>
`
	if got != want {
		t.Errorf("cpuXML:\n%s\nwant:\n%s", got, want)
	}
}

func TestCheckDenyList(t *testing.T) {
	deny := filepath.Join(t.TempDir(), "deny.txt")
	if err := os.WriteFile(deny, []byte("HLE  # TSX is off on our fleet\n\n# a comment line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{"deny_list": deny, "libvirt": "false"}
	out, err := sitePolicy{}.Check(prober.Trial{Model: "Westmere", Flags: []string{"pcid", "+hle"}, Options: opts})
	if err != nil || out.Accepted || !strings.Contains(out.Reason, "denies hle: TSX is off on our fleet") {
		t.Errorf("a denied flag (upper case in the list, + in the trial) is refused: %+v %v", out, err)
	}
	out, err = sitePolicy{}.Check(prober.Trial{Model: "Westmere", Flags: []string{"-hle"}, Options: opts})
	if err != nil || !out.Accepted {
		t.Errorf("disabling a denied flag is allowed: %+v %v", out, err)
	}
}
