package hostfacts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/guestview"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// fakeVirsh is a fake libvirt.Runner: it stands in for virsh where a test
// needs libvirt to be missing or broken, which a real libvirtd cannot be asked
// to be on demand.
type fakeVirsh struct{ err error }

func (f fakeVirsh) Run(context.Context, []byte, ...string) ([]byte, error) { return nil, f.err }

func TestFromCPUEverySampleIsExplained(t *testing.T) {
	dir := refdata.Path(t, "samples")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	table := featnames.Builtin()
	n := 0
	for _, e := range entries {
		if e.Name() == "INDEX.tsv" {
			continue
		}
		n++
		cpu, err := cpuinfo.ReadFile(dir+"/"+e.Name(), "")
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		f := FromCPU(e.Name(), cpu, table)
		// Every Linux flag is either translated or excluded with a reason.
		for _, flag := range f.LinuxFlags {
			_, translated := table.LibvirtName(flag)
			ex, excluded := f.Excluded[flag]
			if !translated && !excluded {
				t.Errorf("%s: Linux flag %q is neither translated nor excluded", e.Name(), flag)
			}
			if excluded && (ex.Reason == "" || ex.Detail != "" || table.Explain(flag, ex.Reason) == "") {
				t.Errorf("%s: %q excluded without a reason code the table explains (or with per-host prose): %+v", e.Name(), flag, ex)
			}
		}
		f.ExplainExclusions(table)
		for flag, ex := range f.Excluded {
			if ex.Detail == "" {
				t.Errorf("%s: ExplainExclusions left %q without a sentence", e.Name(), flag)
			}
		}
		for _, feat := range f.Features {
			if !table.Known(feat) {
				t.Errorf("%s: feature %q is not a libvirt feature name", e.Name(), feat)
			}
		}
		if f.TrustedView != ViewPredicted || f.GuestView == nil || !slices.Equal(f.TrustedFeatures, f.GuestView.Features) {
			t.Errorf("%s: without libvirt the predicted view must be trusted, got %q", e.Name(), f.TrustedView)
		}
		// Every translated feature is either in the guest view or dropped with a reason.
		for _, feat := range f.Features {
			dropped := slices.ContainsFunc(f.GuestView.Dropped, func(d guestview.Decision) bool { return d.Feature == feat && d.Reason != "" })
			if !slices.Contains(f.TrustedFeatures, feat) && !dropped {
				t.Errorf("%s: feature %q vanished from the predicted view without a reason", e.Name(), feat)
			}
		}
		raw := FromCPUWith(e.Name(), cpu, table, Prediction{Raw: true})
		if raw.TrustedView != ViewCPUInfo || !slices.Equal(raw.TrustedFeatures, raw.Features) || raw.GuestView != nil {
			t.Errorf("%s: Prediction.Raw must trust the cpuinfo view, got %q", e.Name(), raw.TrustedView)
		}
		if !strings.HasPrefix(f.X86Level, "x86-64-v") {
			t.Errorf("%s: x86_64_level %q", e.Name(), f.X86Level)
		}
	}
	if n != 41 {
		t.Errorf("read %d samples, the reference has 41", n)
	}
}

func TestGatherLibvirtUnavailable(t *testing.T) {
	src := refdata.Path(t, "samples", "amd-epyc-9654-genoa.cpuinfo")
	tests := []struct {
		name, policy, src string
		runner            libvirt.Runner
		wantErr           string
		wantAsked         bool
		reason            string
	}{
		{"captured file is not this host", LibvirtAuto, src, fakeVirsh{err: errors.New("must not be called")}, "", false,
			"a captured file describes another host, so this host's libvirt must not be asked"},
		{"never", LibvirtNever, "", fakeVirsh{err: errors.New("must not be called")}, "", false,
			"libvirt=never skips libvirt even for the live host"},
		{"virsh missing, auto", LibvirtAuto, "", fakeVirsh{err: fmt.Errorf("run virsh: %w", libvirt.ErrVirshNotFound)}, "", true,
			"auto records why libvirt was not used and trusts /proc/cpuinfo"},
		{"virsh missing, always", LibvirtAlways, "", fakeVirsh{err: fmt.Errorf("run virsh: %w", libvirt.ErrVirshNotFound)}, "libvirt=always", true,
			"always turns an unreachable libvirt into an error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Gather(context.Background(), Options{Src: tt.src, Libvirt: tt.policy, Runner: tt.runner, VirtType: "kvm"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Gather: %v (%s)", err, tt.reason)
			}
			if f.Libvirt.Asked != tt.wantAsked || f.Libvirt.Available || f.Libvirt.Reason == "" {
				t.Errorf("libvirt view %+v (%s)", f.Libvirt, tt.reason)
			}
			if f.TrustedView != ViewPredicted {
				t.Errorf("trusted view %q, want predicted (%s)", f.TrustedView, tt.reason)
			}
		})
	}
}

// TestGatherLiveLibvirt asks the real libvirtd of this machine. It skips when
// libvirt is unreachable, unless CPUFLAGS_REQUIRE_LIBVIRT=1 (CI) makes that a
// failure.
func TestGatherLiveLibvirt(t *testing.T) {
	f, err := Gather(context.Background(), Options{Libvirt: LibvirtAlways, LibvirtURI: "qemu:///system", VirtType: "kvm",
		CPUMapDir: "/usr/share/libvirt/cpu_map"})
	if err != nil {
		if os.Getenv("CPUFLAGS_REQUIRE_LIBVIRT") == "1" {
			t.Fatalf("libvirt required: %v", err)
		}
		t.Skipf("libvirt unreachable: %v", err)
	}
	if f.TrustedView != ViewLibvirt || len(f.TrustedFeatures) == 0 || f.Libvirt.Versions == nil {
		t.Fatalf("libvirt answered but its view is not trusted: %+v", f.Libvirt)
	}
	for _, feat := range f.Overpromised {
		if !slices.Contains(f.Features, feat) || slices.Contains(f.TrustedFeatures, feat) {
			t.Errorf("overpromised %q must be in the cpuinfo view and not in libvirt's", feat)
		}
	}
	// On a nested-KVM host (this project's machines) /proc/cpuinfo lists
	// ssse3 that KVM cannot pass on: the case the facts must expose.
	if slices.Contains(f.Features, "ssse3") && !slices.Contains(f.TrustedFeatures, "ssse3") &&
		!slices.Contains(f.Overpromised, "ssse3") {
		t.Errorf("ssse3 is in /proc/cpuinfo but not in libvirt's view, yet not reported as overpromised")
	}
	if !strings.Contains(f.NameTable, "/usr/share/libvirt/cpu_map") {
		t.Errorf("the host's cpu_map should restrict the name table, got %q", f.NameTable)
	}
}
