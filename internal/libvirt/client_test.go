package libvirt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestScenarioVerdicts replays the virsh answers captured on the Debian 12
// nested-KVM rig host (libvirt 9.0.0, QEMU 7.2, AMD EPYC-Milan under KVM) and
// reproduces the table of shared/rig/NOVA-RIG.md.
func TestScenarioVerdicts(t *testing.T) {
	const hvMissing = "the CPU is incompatible with host CPU: Host CPU does not provide required features: pni, ssse3, sse4.1, sse4.2, popcnt, aes"
	tests := []struct {
		scenario string
		want     Verdict
		reason   string
	}{
		{"cpu-compare-westmere+pcid",
			Verdict{true, "superset", "Host CPU is a superset of CPU described in /dev/stdin"},
			"rig table: pcid stays up under Nova 26 (compareCPU)"},
		{"cpu-compare-westmere+sse4.1",
			Verdict{true, "superset", "Host CPU is a superset of CPU described in /dev/stdin"},
			"libvirt's name of SSE4.1 is accepted"},
		{"cpu-compare-westmere+fma4",
			Verdict{false, "incompatible", "the CPU is incompatible with host CPU: Host CPU does not provide required features: fma4"},
			"rig table: fma4 is missing on the host, nova-compute exits"},
		{"cpu-compare-westmere+avx512f",
			Verdict{false, "incompatible", "the CPU is incompatible with host CPU: Host CPU does not provide required features: avx512f"},
			"this rig host (EPYC-Milan) has no AVX-512, unlike the Intel host of the rig doc"},
		{"cpu-compare-westmere+sse4_1",
			Verdict{false, "error", "internal error: Unknown CPU feature sse4_1"},
			"rig table: the /proc/cpuinfo name is unknown to libvirt"},
		{"cpu-compare-westmere+constant_tsc",
			Verdict{false, "error", "internal error: Unknown CPU feature constant_tsc"},
			"rig table: Linux-only synthetic flag"},
		{"cpu-compare-westmere+tsc_deadline_timer",
			Verdict{false, "error", "internal error: Unknown CPU feature tsc_deadline_timer"},
			"rig table: Linux name of libvirt's tsc-deadline"},
		{"hypervisor-cpu-compare-kvm-westmere+pcid",
			Verdict{false, "incompatible", "the CPU is incompatible with host CPU: Host CPU does not provide required features: pni, ssse3, pcid, sse4.1, sse4.2, popcnt, aes"},
			"nested KVM cannot give Westmere at all: Nova 27+ would stop where Nova 26 runs"},
		{"hypervisor-cpu-compare-kvm-westmere+sse4.1",
			Verdict{false, "incompatible", hvMissing},
			"sse4.1 is already in the missing list of Westmere"},
		{"hypervisor-cpu-compare-kvm-westmere+avx512f",
			Verdict{false, "incompatible", hvMissing + ", avx512f"},
			"extra missing feature is appended"},
		{"hypervisor-cpu-compare-kvm-westmere+fma4",
			Verdict{false, "incompatible", hvMissing + ", fma4"},
			"extra missing feature is appended"},
		{"hypervisor-cpu-compare-kvm-westmere+sse4_1",
			Verdict{false, "error", "internal error: Unknown CPU feature sse4_1"},
			"unknown names are errors for compareHypervisorCPU too"},
		{"hypervisor-cpu-compare-kvm-westmere+constant_tsc",
			Verdict{false, "error", "internal error: Unknown CPU feature constant_tsc"},
			"unknown names are errors for compareHypervisorCPU too"},
		{"hypervisor-cpu-compare-kvm-westmere+tsc_deadline_timer",
			Verdict{false, "error", "internal error: Unknown CPU feature tsc_deadline_timer"},
			"unknown names are errors for compareHypervisorCPU too"},
		{"hypervisor-cpu-compare-default-westmere",
			Verdict{false, "incompatible", hvMissing},
			"no --virttype (Nova passes None) picks kvm on this host"},
		{"hypervisor-cpu-compare-qemu-westmere+sse4.1",
			Verdict{true, "superset", "The CPU provided by hypervisor on the host is a superset of CPU described in /dev/stdin"},
			"TCG emulates what nested KVM cannot give"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			got, err := runScenario(t, tt.scenario)
			if err != nil {
				t.Fatalf("Go error %v; libvirt's answer should be a Verdict (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdict (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
}

func TestScenarioVersionsAndDomCaps(t *testing.T) {
	v, err := runScenario(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Versions{Libvirt: "9.0.0", LibvirtAPI: "QEMU 9.0.0", Hypervisor: "QEMU 7.2.22"}, v); diff != "" {
		t.Errorf("Versions (-want +got):\n%s", diff)
	}

	dc, err := runScenario(t, "domcaps-kvm")
	if err != nil {
		t.Fatal(err)
	}
	if got := dc.(*DomCaps).UsableModels(); len(got) != 4 {
		t.Errorf("usable kvm models = %v, want the 4 of the fixture", got)
	}
}

func TestScenarioDaemonDown(t *testing.T) {
	_, err := runScenario(t, "version-daemon-down")
	if err == nil {
		t.Fatal("no error although the socket does not exist")
	}
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("error %v does not wrap ErrUnreachable", err)
	}
	for _, want := range []string{"Failed to connect socket to '/nonexistent/libvirt-sock'", "libvirtd -d"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q (virsh's words and what to do)", err, want)
		}
	}
}

func TestScenarioHostModelFeatures(t *testing.T) {
	got, err := runScenario(t, "hostmodel-features-kvm")
	if err != nil {
		t.Fatal(err)
	}
	// The 50 policy='require' features of the recorded baseline, read off the fixture.
	want := []string{"3dnowprefetch", "apic", "arat", "arch-capabilities", "clflush", "clflushopt", "clwb", "clzero",
		"cmov", "cmp_legacy", "cr8legacy", "cx16", "cx8", "de", "fpu", "fxsr", "fxsr_opt", "hypervisor", "invtsc",
		"lahf_lm", "lm", "mca", "mce", "mds-no", "misalignsse", "mmx", "mmxext", "msr", "mtrr", "nx", "osvw", "pae",
		"pat", "pge", "pschange-mc-no", "pse", "pse36", "rdctl-no", "sep", "skip-l1dfl-vmentry", "sse", "sse2",
		"syscall", "tsc", "tsc-deadline", "tsc_adjust", "umip", "vme", "x2apic", "xsaveerptr"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("host-model features (-want +got):\n%s", diff)
	}
}

// fakeRunner is a fake Runner answering with a function.
type fakeRunner struct {
	fn    func(ctx context.Context, stdin []byte, args []string) ([]byte, error)
	calls [][]string
	stdin [][]byte
}

func (f *fakeRunner) Run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	f.calls = append(f.calls, args)
	f.stdin = append(f.stdin, stdin)
	return f.fn(ctx, stdin, args)
}

func exitErr(stderr string) error {
	return &ExitError{Args: []string{"x"}, ExitCode: 1, Stderr: []byte(stderr)}
}

func TestCompareErrorPaths(t *testing.T) {
	tests := []struct {
		name        string
		stdout      string
		err         error
		want        Verdict
		wantErr     string
		unreachable bool
		reason      string
	}{
		{name: "identical", stdout: "CPU described in /dev/stdin is identical to host CPU\n\n",
			want:   Verdict{true, "identical", "CPU described in /dev/stdin is identical to host CPU"},
			reason: "identical is compatible"},
		{name: "incompatible without --error", stdout: "CPU described in /dev/stdin is incompatible with host CPU\n",
			want:   Verdict{false, "incompatible", "CPU described in /dev/stdin is incompatible with host CPU"},
			reason: "older virsh may ignore --error and print the verdict"},
		{name: "no support",
			err:    exitErr("error: Failed to compare hypervisor CPU with /dev/stdin\nerror: this function is not supported by the connection driver: virConnectCompareHypervisorCPU\n"),
			want:   Verdict{true, "unsupported", "this function is not supported by the connection driver: virConnectCompareHypervisorCPU"},
			reason: "Nova ignores VIR_ERR_NO_SUPPORT and starts"},
		{name: "bad model",
			err:    exitErr("error: Failed to compare host CPU with /dev/stdin\nerror: internal error: Unknown CPU model Bogus\n"),
			want:   Verdict{false, "error", "internal error: Unknown CPU model Bogus"},
			reason: "libvirt refusing the XML is a verdict"},
		{name: "daemon down",
			err:     exitErr("error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n"),
			wantErr: "libvirtd -d", unreachable: true,
			reason: "virsh could not ask: a Go error saying what to do"},
		{name: "daemon died mid-call",
			err:     exitErr("error: Failed to compare host CPU with /dev/stdin\nerror: End of file while reading data: Input/output error\n"),
			wantErr: "End of file", unreachable: true,
			reason: "a lost connection is not libvirt's answer"},
		{name: "unknown option",
			err:     exitErr("error: command 'hypervisor-cpu-compare' doesn't support option --virttype\n"),
			wantErr: "doesn't support option",
			reason:  "too old a virsh: nothing was compared"},
		{name: "not installed", err: ErrVirshNotFound, wantErr: "virsh not found",
			reason: "exec errors pass through"},
		{name: "garbage output", stdout: "Quelque chose\n", wantErr: "unrecognised answer",
			reason: "unparseable success output is a Go error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeRunner{fn: func(context.Context, []byte, []string) ([]byte, error) { return []byte(tt.stdout), tt.err }}
			c := Client{R: f}
			for _, ask := range []func() (Verdict, error){
				func() (Verdict, error) { return c.CompareCPU(context.Background(), westmere("pcid")) },
				func() (Verdict, error) { return c.CompareHypervisorCPU(context.Background(), westmere("pcid"), "kvm") },
			} {
				got, err := ask()
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("err = %v, want containing %q (%s)", err, tt.wantErr, tt.reason)
					}
					if errors.Is(err, ErrUnreachable) != tt.unreachable {
						t.Errorf("errors.Is(err, ErrUnreachable) = %v, want %v", !tt.unreachable, tt.unreachable)
					}
					continue
				}
				if err != nil {
					t.Fatalf("unexpected error %v (%s)", err, tt.reason)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("verdict (-want +got) (%s):\n%s", tt.reason, diff)
				}
			}
			wantArgs := [][]string{{"cpu-compare", "--error", "/dev/stdin"}, {"hypervisor-cpu-compare", "--error", "--virttype", "kvm", "/dev/stdin"}}
			if diff := cmp.Diff(wantArgs, f.calls); diff != "" {
				t.Errorf("virsh args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientMisuse(t *testing.T) {
	never := &fakeRunner{fn: func(context.Context, []byte, []string) ([]byte, error) {
		t.Error("virsh must not be called")
		return nil, nil
	}}
	ctx := context.Background()
	if _, err := (Client{}).Versions(ctx); err == nil || !strings.Contains(err.Error(), "no Runner") {
		t.Errorf("nil runner: %v", err)
	}
	if _, err := (Client{R: never}).CompareCPU(ctx, nil); err == nil || !strings.Contains(err.Error(), "CustomCPUXML") {
		t.Errorf("empty XML: %v", err)
	}
	if _, err := (Client{R: never}).HostModelFeatures(ctx, nil, nil); err == nil || !strings.Contains(err.Error(), "DomCaps first") {
		t.Errorf("no domcaps: %v", err)
	}
	if _, err := (Client{R: never}).HostModelFeatures(ctx, nil, []byte("junk")); err == nil {
		t.Error("junk domcaps accepted")
	}
	noHM := &DomCaps{VirtType: "qemu", HostModel: HostModel{Supported: false}}
	if _, err := (Client{R: never}).HostModelFeatures(ctx, noHM, nil); err == nil || !strings.Contains(err.Error(), "no supported host-model") {
		t.Errorf("unsupported host-model: %v", err)
	}
}

func TestHostModelFeaturesWithoutRaw(t *testing.T) {
	dc := &DomCaps{VirtType: "kvm", HostModel: HostModel{Supported: true, Model: "EPYC", Vendor: "AMD",
		Features: []FeaturePolicy{{"x2apic", "require"}}}}
	f := &fakeRunner{fn: func(context.Context, []byte, []string) ([]byte, error) {
		return []byte("<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>EPYC</model>\n" +
			"  <feature policy='require' name='x2apic'/>\n  <feature policy='disable' name='svm'/>\n" +
			"  <feature policy='require' name='apic'/>\n</cpu>\n"), nil
	}}
	got, err := Client{R: f}.HostModelFeatures(context.Background(), dc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"apic", "x2apic"}, got); diff != "" {
		t.Errorf("features (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"hypervisor-cpu-baseline", "--features", "--virttype", "kvm", "/dev/stdin"}}, f.calls); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if string(f.stdin[0]) != string(dc.HostModelCPUXML()) {
		t.Errorf("stdin = %s, want the rendered host-model CPU", f.stdin[0])
	}

	empty := &fakeRunner{fn: func(context.Context, []byte, []string) ([]byte, error) {
		return []byte("<cpu mode='custom'><model>EPYC</model></cpu>"), nil
	}}
	if _, err := (Client{R: empty}).HostModelFeatures(context.Background(), dc, nil); err == nil || !strings.Contains(err.Error(), "no features") {
		t.Errorf("baseline without features: %v", err)
	}
}

func TestDomCapsErrors(t *testing.T) {
	ctx := context.Background()
	bad := &fakeRunner{fn: func(context.Context, []byte, []string) ([]byte, error) { return []byte("<nope/>"), nil }}
	if _, raw, err := (Client{R: bad}).DomCaps(ctx, "kvm"); err == nil || string(raw) != "<nope/>" {
		t.Errorf("DomCaps on junk = %q, %v; want the raw output and an error", raw, err)
	}
	noKVM := &fakeRunner{fn: func(context.Context, []byte, []string) ([]byte, error) {
		return nil, exitErr("error: failed to get emulator capabilities\nerror: invalid argument: KVM is not supported by '/usr/bin/qemu-system-x86_64' on this host\n")
	}}
	_, _, err := (Client{R: noKVM}).DomCaps(ctx, "kvm")
	if err == nil || !strings.Contains(err.Error(), "KVM is not supported") || errors.Is(err, ErrUnreachable) {
		t.Errorf("DomCaps without KVM: %v", err)
	}
	if diff := cmp.Diff([][]string{{"domcapabilities", "--virttype", "kvm"}}, noKVM.calls); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	badVersion := &fakeRunner{fn: func(context.Context, []byte, []string) ([]byte, error) { return []byte("?"), nil }}
	if _, err := (Client{R: badVersion}).Versions(ctx); err == nil {
		t.Error("Versions accepted junk")
	}
}

func TestClientTimeout(t *testing.T) {
	hang := &fakeRunner{fn: func(ctx context.Context, _ []byte, _ []string) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	start := time.Now()
	_, err := Client{R: hang, Timeout: 50 * time.Millisecond}.Versions(context.Background())
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want ErrUnreachable wrapping DeadlineExceeded", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("timeout not applied")
	}
}

// writeFakeVirsh writes a shell script standing in for virsh.
func writeFakeVirsh(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "virsh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVirshRun(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	ctx := context.Background()

	echo := writeFakeVirsh(t, `echo "args:$*"; echo "lang:$LC_ALL"; cat`)
	out, err := Virsh{Path: echo, URI: "qemu:///system"}.Run(ctx, []byte("STDIN\n"), "cpu-compare", "/dev/stdin")
	if err != nil {
		t.Fatal(err)
	}
	if want := "args:-c qemu:///system cpu-compare /dev/stdin\nlang:C\nSTDIN\n"; string(out) != want {
		t.Errorf("out = %q, want %q", out, want)
	}
	out, err = Virsh{Path: echo}.Run(ctx, nil, "version")
	if err != nil || !strings.HasPrefix(string(out), "args:version\n") {
		t.Errorf("no URI: %q, %v", out, err)
	}

	fail := writeFakeVirsh(t, `echo partial; echo "error: failed to connect to the hypervisor" >&2; exit 3`)
	out, err = Virsh{Path: fail}.Run(ctx, nil, "version")
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode != 3 || !strings.Contains(string(ee.Stderr), "failed to connect") || string(out) != "partial\n" {
		t.Fatalf("exit error = %v (%#v), out %q", err, ee, out)
	}
	if !strings.Contains(err.Error(), "failed to connect to the hypervisor") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("error text %q should carry stderr and the status", err)
	}

	_, err = Virsh{Path: filepath.Join(t.TempDir(), "no-virsh")}.Run(ctx, nil, "version")
	if !errors.Is(err, ErrVirshNotFound) || !strings.Contains(err.Error(), "libvirt-clients") {
		t.Errorf("missing binary: %v", err)
	}

	slow := writeFakeVirsh(t, `exec sleep 30`)
	start := time.Now()
	_, err = Client{R: Virsh{Path: slow}, Timeout: 200 * time.Millisecond}.Versions(ctx)
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("hung virsh: %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("hung virsh took %s; the timeout did not kill it", d)
	}
}
