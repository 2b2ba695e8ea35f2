package libvirt

import (
	"context"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// liveURI is the libvirt URI the live tests and -update use.
func liveURI() string {
	if u := os.Getenv("CPUFLAGS_LIBVIRT_URI"); u != "" {
		return u
	}
	return "qemu:///system"
}

// liveClient returns a client for the real libvirt. When libvirt cannot be
// reached the test is skipped, or fails when CPUFLAGS_REQUIRE_LIBVIRT=1.
func liveClient(t *testing.T) Client {
	t.Helper()
	c := Client{R: Virsh{URI: liveURI()}, Timeout: 60 * time.Second}
	if _, err := c.Versions(context.Background()); err != nil {
		if os.Getenv("CPUFLAGS_REQUIRE_LIBVIRT") == "1" {
			t.Fatalf("CPUFLAGS_REQUIRE_LIBVIRT=1 but libvirt at %s is unreachable: %v", liveURI(), err)
		}
		t.Skipf("libvirt at %s unreachable (set CPUFLAGS_REQUIRE_LIBVIRT=1 to make this fail): %v", liveURI(), err)
	}
	return c
}

// hostHasFlag reports whether /proc/cpuinfo lists flag (a precondition of
// some live rows, so they hold on other rig hosts too).
func hostHasFlag(t *testing.T, flag string) bool {
	t.Helper()
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			return slices.Contains(strings.Fields(v), flag)
		}
	}
	return false
}

func TestLiveVersionsAndDomCaps(t *testing.T) {
	c := liveClient(t)
	ctx := context.Background()
	v, err := c.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v.Libvirt) || v.Hypervisor == "" {
		t.Errorf("versions = %+v", v)
	}
	for _, vt := range []string{"kvm", "qemu"} {
		if vt == "kvm" {
			if _, err := os.Stat("/dev/kvm"); err != nil {
				continue
			}
		}
		dc, raw, err := c.DomCaps(ctx, vt)
		if err != nil {
			t.Fatalf("domcaps %s: %v", vt, err)
		}
		if dc.VirtType != vt || len(dc.Models) == 0 || len(raw) == 0 || !dc.HostModel.Supported {
			t.Errorf("domcaps %s: virt type %q, %d models, host-model %+v", vt, dc.VirtType, len(dc.Models), dc.HostModel)
		}
		t.Logf("domcaps %s: host-model %s (%s), %d/%d models usable: %v", vt, dc.HostModel.Model, dc.HostModel.Vendor,
			len(dc.UsableModels()), len(dc.Models), dc.UsableModels())
	}
}

func TestLiveHostModelFeatures(t *testing.T) {
	c := liveClient(t)
	ctx := context.Background()
	dc, raw, err := c.DomCaps(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	feats, err := c.HostModelFeatures(ctx, dc, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(feats) < 10 || !slices.IsSorted(feats) {
		t.Errorf("features = %v; want a sorted, non-trivial list", feats)
	}
	for _, f := range dc.HostModel.Features {
		if f.Policy == "disable" && slices.Contains(feats, f.Name) {
			t.Errorf("feature %s is disabled by host-model but listed", f.Name)
		}
		if f.Policy == "require" && !slices.Contains(feats, f.Name) {
			t.Errorf("feature %s is required by host-model but missing", f.Name)
		}
	}
	// Rendering the host-model CPU ourselves must expand to the same list.
	again, err := c.HostModelFeatures(ctx, dc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(feats, again) {
		t.Errorf("expansion from rendered host-model differs:\n%v\n%v", feats, again)
	}
	// The hypervisor can give exactly its host-model CPU, and the expanded
	// features (with the host-model's disabled ones switched off) on its model.
	if v, err := c.CompareHypervisorCPU(ctx, dc.HostModelCPUXML(), dc.VirtType); err != nil || v.Result != ResultIdentical {
		t.Errorf("host-model CPU vs hypervisor = %+v, %v; want identical", v, err)
	}
	flags := slices.Clone(feats)
	for _, f := range dc.HostModel.Features {
		if f.Policy == "disable" {
			flags = append(flags, "-"+f.Name)
		}
	}
	if v, err := c.CompareHypervisorCPU(ctx, CustomCPUXML(dc.HostModel.Model, flags), dc.VirtType); err != nil || !v.Compatible {
		t.Errorf("expanded host-model CPU vs hypervisor = %+v, %v; want compatible", v, err)
	}
}

// TestLiveRigTable reproduces shared/rig/NOVA-RIG.md's compareCPU table.
func TestLiveRigTable(t *testing.T) {
	c := liveClient(t)
	ctx := context.Background()
	tests := []struct {
		flag        string
		precond     func() bool
		wantResult  string
		wantMessage string
		reason      string
	}{
		{"pcid", func() bool { return hostHasFlag(t, "pcid") && hostHasFlag(t, "sse4_2") && hostHasFlag(t, "aes") },
			ResultSuperset, "superset", "rig: Westmere+pcid stays up under Nova 26"},
		{"fma4", func() bool { return !hostHasFlag(t, "fma4") }, ResultIncompatible, "fma4", "rig: fma4 missing, nova-compute exits"},
		{"sse4_1", nil, ResultError, "Unknown CPU feature sse4_1", "rig: Linux name, unknown to libvirt"},
		{"constant_tsc", nil, ResultError, "Unknown CPU feature constant_tsc", "rig: Linux-only flag, unknown to libvirt"},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			if tt.precond != nil && !tt.precond() {
				t.Skipf("host CPU does not fit the rig's precondition for %s", tt.flag)
			}
			v, err := c.CompareCPU(ctx, westmere(tt.flag))
			if err != nil {
				t.Fatalf("CompareCPU: %v", err)
			}
			if v.Result != tt.wantResult || !strings.Contains(v.Message, tt.wantMessage) || v.Compatible != (tt.wantResult == ResultSuperset) {
				t.Errorf("CompareCPU(Westmere+%s) = %+v, want %s containing %q (%s)", tt.flag, v, tt.wantResult, tt.wantMessage, tt.reason)
			}
			if tt.wantResult == ResultError {
				hv, err := c.CompareHypervisorCPU(ctx, westmere(tt.flag), "")
				if err != nil || hv.Result != ResultError || !strings.Contains(hv.Message, tt.wantMessage) {
					t.Errorf("CompareHypervisorCPU(Westmere+%s) = %+v, %v; unknown names fail there too", tt.flag, hv, err)
				}
			}
		})
	}
}

func TestLiveUnreachable(t *testing.T) {
	liveClient(t) // only where virsh is installed
	_, err := Client{R: Virsh{URI: "qemu:///system?socket=/nonexistent/libvirt-sock"}}.Versions(context.Background())
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("err = %v, want ErrUnreachable", err)
	}
}
