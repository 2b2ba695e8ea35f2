package baseline

import (
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/featnames"
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
	f := hostfacts.FromCPU(file, cpu, featnames.Builtin())
	return HostFromFacts(file, group, f)
}

func mustAcc(t testing.TB, hosts ...Host) *Accumulator {
	t.Helper()
	a, err := NewAccumulator(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var testCatalog = cpumodels.Builtin()

func nil2names() *featnames.Table { return featnames.Builtin() }
