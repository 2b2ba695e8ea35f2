package clusterrun

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/plan"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// TestViewNames holds baseline's view names equal to hostfacts' trusted
// views: HostFromFacts copies the string across.
func TestViewNames(t *testing.T) {
	if baseline.ViewLibvirt != hostfacts.ViewLibvirt || baseline.ViewCPUInfo != hostfacts.ViewCPUInfo || baseline.ViewPredicted != hostfacts.ViewPredicted {
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

// TestPlanRecordsChoice: an AMD-only cluster of captures (Rome, Milan) gets
// an AMD model with svm disabled for Nova 2023.1; the plan records the
// disabled feature in its nova.conf form, the libvirt version assumed and
// each host's prediction, and drift over the same facts says the plan
// holds (the disabled feature, lacking on every host, blocks nothing) and
// the rollout's plan check accepts the plan (the probe trials the model
// with the feature disabled). For Victoria the plan disables nothing.
func TestPlanRecordsChoice(t *testing.T) {
	var in Input
	for i, f := range []string{"amd-epyc-7742-rome.lscpu", "amd-epyc-7443p-milan-baremetal.lscpu.json"} {
		fs, err := hostfacts.LoadWith(context.Background(), refdata.Path(t, "samples", f), hostfacts.Prediction{})
		if err != nil {
			t.Fatal(err)
		}
		in.Hosts = append(in.Hosts, Host{Name: []string{"rome", "milan"}[i], Group: "g", Facts: fs})
	}
	for _, tt := range []struct {
		nova     string
		disabled bool
	}{{"2023.1", true}, {"wallaby", true}, {"victoria", false}} {
		in.NovaRelease = tt.nova
		res, err := Compute(in)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Plan(in, res, time.Unix(0, 0))
		if err != nil {
			t.Fatalf("Nova %s: %v", tt.nova, err)
		}
		if got := slices.Contains(p.DisabledFlags, "svm"); got != tt.disabled || !slices.Equal(p.DisabledFlags, res.DisabledFlags) {
			t.Errorf("Nova %s: plan disables %v (result %v), want svm disabled: %v", tt.nova, p.DisabledFlags, res.DisabledFlags, tt.disabled)
		}
		if got := slices.Contains(p.Nova.ExtraFlags, "-svm"); got != tt.disabled {
			t.Errorf("Nova %s: cpu_model_extra_flags %v", tt.nova, p.Nova.ExtraFlags)
		}
		if p.AssumedLibvirt != baseline.DefaultAssumedLibvirt {
			t.Errorf("assumed libvirt %q, want %s", p.AssumedLibvirt, baseline.DefaultAssumedLibvirt)
		}
		for name, h := range p.Hosts {
			if h.Prediction == nil || h.Prediction.Rules == "" || h.Prediction.Linux == "" {
				t.Errorf("host %s: prediction %+v not recorded", name, h.Prediction)
			}
		}
		var cur []plan.Source
		for _, h := range in.Hosts {
			cur = append(cur, PlanSource(h.Name, h.Group, h.Facts))
		}
		d, err := plan.Drift(p, cur)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Holds || !d.Unchanged {
			t.Errorf("Nova %s: drift over the same facts: holds %v unchanged %v %v", tt.nova, d.Holds, d.Unchanged, d.Summary)
		}
		if v := plan.Verify(p, cur); !v.OK {
			t.Errorf("Nova %s: the rollout refuses a plan disabling %v: %s", tt.nova, p.DisabledFlags, v.Message(p))
		}
	}
}
