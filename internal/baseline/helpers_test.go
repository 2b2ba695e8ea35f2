package baseline

import (
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/guestview"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// sampleHost reads one reference sample through cpuinfo and hostfacts (the
// product's path) and returns it as a Host named after the file.
func sampleHost(t testing.TB, file, group string) Host {
	t.Helper()
	cpu, err := cpuinfo.ReadFile(refdata.Path(t, "samples", file), "")
	if err != nil {
		t.Fatalf("read sample %s: %v", file, err)
	}
	return factsHost(file, group, hostfacts.FromCPUWith(file, cpu, featnames.Builtin(), defaultStack))
}

// defaultStack states the default hypervisor stack (guestview.DefaultStack)
// instead of leaving it to the prediction: some samples come from RHEL 7
// kernels, whose old flag names prove a kernel older than the oldest KVM
// sources the rules were read from, and these tests are about the engine,
// not about that inference (internal/guestview tests it).
var defaultStack = hostfacts.Prediction{Guest: guestview.Options{Stack: guestview.DefaultStack}}

// rawSampleHost is sampleHost with the translated flags trusted as they are
// (hostfacts.Prediction.Raw), for tests of the intersection engine itself.
func rawSampleHost(t testing.TB, file, group string) Host {
	t.Helper()
	cpu, err := cpuinfo.ReadFile(refdata.Path(t, "samples", file), "")
	if err != nil {
		t.Fatalf("read sample %s: %v", file, err)
	}
	return factsHost(file, group, hostfacts.FromCPUWith(file, cpu, featnames.Builtin(), hostfacts.Prediction{Raw: true}))
}

// factsHost is clusterrun.HostFromFacts for facts without libvirt (which
// this package's tests cannot import: clusterrun imports baseline).
func factsHost(name, group string, f *hostfacts.Facts) Host {
	return Host{Name: name, Group: group, Vendor: f.Vendor, ModelName: f.ModelName,
		View: f.TrustedView, Features: f.TrustedFeatures, LinuxFlags: f.LinuxFlags}
}

func mustAcc(t testing.TB, hosts ...Host) *Accumulator {
	t.Helper()
	a := &Accumulator{}
	for _, h := range hosts {
		if err := a.Add(h); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

var testCatalog = cpumodels.Builtin()

func nil2names() *featnames.Table { return featnames.Builtin() }
