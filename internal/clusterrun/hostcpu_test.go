package clusterrun

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/hostfacts"
)

// TestHostCPUCheckForOldNova: for a Nova that checks with compareCPU (Zed,
// 26), every flag the baseline adds is one the host CPU itself has (the
// facts' /proc/cpuinfo features); for 2023.1 the guest view stands, and on
// these real AMD and Intel captures it offers flags the host CPUs lack, so
// the limit has something to remove and says what.
func TestHostCPUCheckForOldNova(t *testing.T) {
	samples := []string{"amd-epyc-9654-genoa.cpuinfo", "amd-epyc-7301-naples.cpuinfo"}
	var hosts []Host
	for _, s := range samples {
		f, err := hostfacts.Gather(context.Background(), hostfacts.Options{
			Src: filepath.Join("..", "..", "..", "shared", "ref", "samples", s), Libvirt: "never"})
		if err != nil {
			t.Fatal(err)
		}
		if f.TrustedView != hostfacts.ViewPredicted {
			t.Fatalf("%s: view %q, want predicted", s, f.TrustedView)
		}
		hosts = append(hosts, Host{Name: strings.TrimSuffix(s, ".cpuinfo"), Facts: f})
	}
	onHostCPU := func(flag string) bool {
		for _, h := range hosts {
			if !slices.Contains(h.Facts.Features, flag) {
				return false
			}
		}
		return true
	}

	newer, err := Compute(Input{Hosts: hosts, NovaRelease: "2023.1"})
	if err != nil {
		t.Fatal(err)
	}
	var hypervisorOnly []string
	for _, f := range newer.ExtraFlags {
		if !onHostCPU(f) {
			hypervisorOnly = append(hypervisorOnly, f)
		}
	}
	if len(hypervisorOnly) == 0 {
		t.Fatalf("2023.1: no extra flag outside the host CPUs (%v): the input does not test the limit", newer.ExtraFlags)
	}

	zed, err := Compute(Input{Hosts: hosts, NovaRelease: "zed"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zed.ExtraFlags {
		if !onHostCPU(f) {
			t.Errorf("zed: extra flag %s is not on every host CPU; compareCPU refuses it", f)
		}
	}
	warned := ""
	for _, w := range zed.Warnings {
		if strings.Contains(w, "compareCPU") {
			warned = w
		}
	}
	if warned == "" {
		t.Fatalf("zed: no warning says what compareCPU left out; warnings %q", zed.Warnings)
	}
	for _, f := range hypervisorOnly {
		if !strings.Contains(warned, f+" (") {
			t.Errorf("zed warning does not name %s: %s", f, warned)
		}
	}
	for _, w := range newer.Warnings {
		if strings.Contains(w, "compareCPU") {
			t.Errorf("2023.1 warns about compareCPU: %s", w)
		}
	}
	if _, err := Compute(Input{Hosts: hosts, NovaRelease: "banana"}); err == nil || !strings.Contains(err.Error(), "target Nova release") {
		t.Errorf("a bad release: err %v, want one naming the target Nova release", err)
	}
}
