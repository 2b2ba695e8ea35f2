package hostfacts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/guestview"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// fakeRoot lays out a live host's /proc with a sample's cpuinfo and, when
// release is not empty, the kernel release.
func fakeRoot(t *testing.T, sample, release string) string {
	t.Helper()
	root := t.TempDir()
	data, err := os.ReadFile(refdata.Path(t, "samples", sample))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "proc", "sys", "kernel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "proc", "cpuinfo"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if release != "" {
		if err := os.WriteFile(filepath.Join(root, "proc", "sys", "kernel", "osrelease"), []byte(release+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestGatherMeasuresTheStack: a live gather without libvirt reads the
// running kernel's release and the QEMU binary's version, and the
// predicted view uses them instead of the default (stack_basis says so);
// what the operator states still wins.
func TestGatherMeasuresTheStack(t *testing.T) {
	root := fakeRoot(t, "amd-epyc-9654-genoa.cpuinfo", "6.1.0-18-amd64")
	calls := 0
	qemu := func(context.Context) (string, string, error) { calls++; return "7.2.19", "fake qemu --version", nil }
	f, err := Gather(context.Background(), Options{Root: cpuinfo.HostDir(root), Libvirt: LibvirtNever, QEMUVersion: qemu})
	if err != nil {
		t.Fatal(err)
	}
	if f.Stack == nil || f.Stack.KernelRelease != "6.1.0-18-amd64" || f.Stack.QEMU != "7.2.19" || calls != 1 {
		t.Fatalf("measured stack %+v (qemu probe called %d times)", f.Stack, calls)
	}
	v := f.GuestView
	if v == nil || v.Options.Stack != (guestview.Stack{Linux: "6.1.0-18-amd64", QEMU: "7.2.19"}) ||
		v.StackBasis.Linux != guestview.OriginMeasured || v.StackBasis.QEMU != guestview.OriginMeasured || v.StackAssumed {
		t.Fatalf("the prediction did not use the measured stack: %+v", v)
	}
	if !strings.Contains(v.StackBasis.Reason, "the running kernel's release") {
		t.Errorf("stack reason %q", v.StackBasis.Reason)
	}
	stated := Options{Root: cpuinfo.HostDir(root), Libvirt: LibvirtNever, QEMUVersion: qemu,
		Prediction: Prediction{Guest: guestview.Options{Stack: guestview.Stack{Linux: "5.10"}}}}
	f, err = Gather(context.Background(), stated)
	if err != nil {
		t.Fatal(err)
	}
	if f.GuestView.Options.Stack.Linux != "5.10" || f.GuestView.StackBasis.Linux != guestview.OriginGiven || f.GuestView.Options.Stack.QEMU != "7.2.19" {
		t.Errorf("a stated kernel must win over the measured one, the measured QEMU fill the rest: %+v", f.GuestView.Options)
	}
}

func TestMeasureStack(t *testing.T) {
	root := fakeRoot(t, "amd-epyc-9654-genoa.cpuinfo", "")
	failing := func(context.Context) (string, string, error) { return "", "", errors.New("no QEMU binary found") }
	st := measureStack(context.Background(), Options{Root: cpuinfo.HostDir(root), QEMUVersion: failing}, LibvirtView{})
	if st.KernelRelease != "" || st.QEMU != "" || len(st.Notes) != 2 {
		t.Errorf("nothing readable must leave both empty with two notes: %+v", st)
	}
	called := false
	probe := func(context.Context) (string, string, error) { called = true; return "1.0", "x", nil }
	st = measureStack(context.Background(), Options{Root: cpuinfo.HostDir(root), QEMUVersion: probe},
		LibvirtView{Versions: &libvirt.Versions{Libvirt: "9.0.0", Hypervisor: "QEMU 7.2.0"}})
	if st.QEMU != "7.2.0" || !strings.Contains(st.QEMUSource, "libvirt") || called {
		t.Errorf("libvirt's running hypervisor must be used without running QEMU: %+v (probe called %v)", st, called)
	}
}

func TestParseQEMUVersion(t *testing.T) {
	for _, c := range []struct{ out, want string }{
		{"QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright (c) 2003-2022 Fabrice Bellard\n", "7.2.19"},
		{"QEMU emulator version 6.2.0 (qemu-kvm-6.2.0-53.module+el8.10.0+2055+8eb7870b.4)\n", "6.2.0"},
		{"QEMU emulator version 10.1\n", "10.1"},
	} {
		if got, err := parseQEMUVersion([]byte(c.out)); err != nil || got != c.want {
			t.Errorf("parseQEMUVersion(%q) = %q, %v; want %q", c.out, got, err, c.want)
		}
	}
	if _, err := parseQEMUVersion([]byte("usage: qemu-system-x86_64 [options]\n")); err == nil {
		t.Error("output without a version must be an error")
	}
	for _, c := range []struct {
		v    *libvirt.Versions
		want string
	}{
		{nil, ""}, {&libvirt.Versions{Hypervisor: "QEMU 8.2.2"}, "8.2.2"}, {&libvirt.Versions{Hypervisor: "Xen 4.17"}, ""}, {&libvirt.Versions{}, ""},
	} {
		if got := qemuFromLibvirt(c.v); got != c.want {
			t.Errorf("qemuFromLibvirt(%+v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func FuzzParseQEMUVersion(f *testing.F) {
	f.Add([]byte("QEMU emulator version 7.2.19 (Debian)\n"))
	f.Add([]byte(""))
	f.Add([]byte("version 99999999999999999999.1"))
	f.Fuzz(func(t *testing.T, out []byte) {
		v, err := parseQEMUVersion(out)
		if err == nil && !guestview.ValidVersion(v) {
			t.Fatalf("parsed %q from %q, which is not a version", v, out)
		}
	})
}
