package clusterrun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
)

// TestViewNames holds baseline's view names equal to hostfacts' trusted
// views: HostFromFacts copies the string across.
func TestViewNames(t *testing.T) {
	if baseline.ViewLibvirt != hostfacts.ViewLibvirt || baseline.ViewCPUInfo != hostfacts.ViewCPUInfo {
		t.Fatalf("baseline views %q/%q, hostfacts views %q/%q",
			baseline.ViewLibvirt, baseline.ViewCPUInfo, hostfacts.ViewLibvirt, hostfacts.ViewCPUInfo)
	}
}

func TestHostFromFacts(t *testing.T) {
	tests := []struct {
		name   string
		facts  hostfacts.Facts
		want   baseline.Host
		reason string
	}{{
		name: "libvirt",
		facts: hostfacts.Facts{
			Vendor: "AMD", ModelName: "EPYC 7443P", LinuxFlags: []string{"sse2", "avx2"},
			Features: []string{"sse2", "avx2", "svm"}, TrustedView: hostfacts.ViewLibvirt, TrustedFeatures: []string{"sse2", "avx2"},
			Libvirt: hostfacts.LibvirtView{Available: true, Models: []libvirt.ModelUsability{
				{Name: "EPYC-Milan", Usable: "no", Vendor: "AMD", Blockers: []string{"pku"}},
				{Name: "EPYC", Usable: "yes", Deprecated: true, Canonical: "EPYC-v1"},
			}},
		},
		want: baseline.Host{
			Name: "hv1", Group: "g", Vendor: "AMD", ModelName: "EPYC 7443P", View: baseline.ViewLibvirt,
			Features: []string{"sse2", "avx2"}, LinuxFlags: []string{"sse2", "avx2"},
			LibvirtModels: []baseline.ModelUsability{
				{Name: "EPYC-Milan", Usable: "no", Blockers: []string{"pku"}},
				{Name: "EPYC", Usable: "yes", Deprecated: true},
			},
		},
		reason: "the trusted libvirt view and every model's usability carry over",
	}, {
		name: "cpuinfo without trusted features",
		facts: hostfacts.Facts{
			Vendor: "Intel", LinuxFlags: []string{"sse2"}, Features: []string{"sse2"},
			Libvirt: hostfacts.LibvirtView{Models: []libvirt.ModelUsability{{Name: "Westmere", Usable: "yes"}}},
		},
		want: baseline.Host{
			Name: "hv1", Group: "g", Vendor: "Intel", View: baseline.ViewCPUInfo,
			Features: []string{"sse2"}, LinuxFlags: []string{"sse2"},
		},
		reason: "an empty view is cpuinfo, whose features stand in for missing trusted ones; models of a libvirt that did not answer fully are dropped",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HostFromFacts("hv1", "g", &tt.facts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HostFromFacts diff: (-want +got)\n%s\nreason: %v", diff, tt.reason)
			}
		})
	}
}
