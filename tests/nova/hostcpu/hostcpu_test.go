package hostcpu

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

// fakeVirsh answers like libvirt 9.0 on a host whose CPU has the features in have.
func fakeVirsh(vendor string, have ...string) Runner {
	return func(_ context.Context, argv ...string) ([]byte, []byte, int, error) {
		switch {
		case argv[0] == "nova-compute":
			return []byte("26.2.2\n"), nil, 0, nil
		case slices.Contains(argv, "capabilities"):
			return []byte("<capabilities><host><cpu><arch>x86_64</arch><model>EPYC</model><vendor>" + vendor + "</vendor></cpu></host></capabilities>"), nil, 0, nil
		}
		xml, err := os.ReadFile(argv[len(argv)-1])
		if err != nil {
			return nil, nil, 1, err
		}
		s := string(xml)
		if i := strings.Index(s, "name='"); i >= 0 {
			f := s[i+6:]
			f = f[:strings.IndexByte(f, '\'')]
			if f == "constant_tsc" || f == "avx1024" {
				return nil, []byte("error: Failed to compare host CPU with " + argv[len(argv)-1] + "\nerror: internal error: Unknown CPU feature " + f + "\n"), 1, nil
			}
			if !slices.Contains(have, f) {
				return nil, []byte("error: Failed to compare host CPU with x\nerror: the CPU is incompatible with host CPU: Host CPU does not provide required features: " + f + "\n"), 1, nil
			}
		}
		return []byte("Host CPU is a superset of CPU described in " + argv[len(argv)-1] + "\n"), nil, 0, nil
	}
}

func TestDeriveFollowsTheHost(t *testing.T) {
	for _, tc := range []struct {
		vendor   string
		have     []string
		accepted []string
		never    []string
	}{
		{"AMD", []string{"pcid", "sse4.1", "avx512f", "sse4a", "avx2"}, []string{"pcid", "sse4.1", "avx512f", "sse4a", "avx2"}, intelOnly},
		{"Intel", []string{"pcid", "tsc-deadline", "hle", "rtm", "x2apic"}, []string{"pcid", "tsc-deadline", "x2apic", "hle", "rtm"}, amdOnly},
		{"Hygon", nil, nil, intelOnly},
	} {
		h, err := Derive(context.Background(), Options{Run: fakeVirsh(tc.vendor, tc.have...), Dir: t.TempDir()}, Candidates())
		if err != nil {
			t.Fatalf("%s: %v", tc.vendor, err)
		}
		if got := h.Accepted(); !slices.Equal(got, tc.accepted) {
			t.Errorf("%s: accepted %v, want %v", tc.vendor, got, tc.accepted)
		}
		if got := h.NeverHere(); !slices.Equal(got, tc.never) {
			t.Errorf("%s: never here %v, want %v", tc.vendor, got, tc.never)
		}
		if h.Check != "compareCPU" || !strings.Contains(h.Command, "cpu-compare --error") {
			t.Errorf("%s: Nova 26 check %s / %s", tc.vendor, h.Check, h.Command)
		}
		if r := h.Refused(); r["constant_tsc"] != "internal error: Unknown CPU feature constant_tsc" {
			t.Errorf("%s: constant_tsc said %q", tc.vendor, r["constant_tsc"])
		}
		if len(h.Lines()) != len(Candidates())+1 {
			t.Errorf("%s: %d log lines", tc.vendor, len(h.Lines()))
		}
	}
}

// A host that claims another vendor's feature breaks the suite's premise: say so.
func TestDeriveRefusesAnImpossibleHost(t *testing.T) {
	_, err := Derive(context.Background(), Options{Run: fakeVirsh("AMD", "hle"), Dir: t.TempDir()}, Candidates())
	if err == nil || !strings.Contains(err.Error(), "hle (other-vendor)") {
		t.Fatalf("err = %v", err)
	}
}

func TestNova27AsksTheHypervisor(t *testing.T) {
	h, err := Derive(context.Background(), Options{Run: fakeVirsh("AMD"), NovaVersion: "27.1.0", Dir: t.TempDir()}, Candidates())
	if err != nil {
		t.Fatal(err)
	}
	if h.Check != "compareHypervisorCPU" || !strings.Contains(h.Command, "hypervisor-cpu-compare") {
		t.Errorf("Nova 27: %s / %s", h.Check, h.Command)
	}
}
