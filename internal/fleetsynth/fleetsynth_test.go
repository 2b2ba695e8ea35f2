package fleetsynth

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func TestGenerateFleetShape(t *testing.T) {
	hosts, err := Generate(refdata.Path(t, "samples"), Options{Hosts: 5000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 5000 {
		t.Fatalf("got %d hosts, want 5000", len(hosts))
	}
	names := map[string]bool{}
	perGen := map[string]int{}
	vendors := map[string]int{}
	varied := 0
	for _, h := range hosts {
		if names[h.Name] {
			t.Fatalf("duplicate host name %s", h.Name)
		}
		names[h.Name] = true
		perGen[h.Generation]++
		vendors[h.Facts.Vendor]++
		if h.Facts.Source != filepath.Join(refdata.Path(t, "samples"), sampleOf(h.Generation)) {
			varied++
		}
	}
	for _, g := range DefaultFleet {
		want := 5000 * g.Weight / 100
		if got := perGen[g.Name]; got < want*7/10 || got > want*13/10 {
			t.Errorf("generation %s: %d hosts, want about %d (weight %d%%)", g.Name, got, want, g.Weight)
		}
	}
	if vendors["AMD"] == 0 || vendors["Intel"] == 0 {
		t.Errorf("vendors %v: want both AMD and Intel hosts", vendors)
	}
	if varied < 50 || varied > 150 {
		t.Errorf("%d of 5000 hosts on another microcode, want about 2%% (100)", varied)
	}
}

func sampleOf(gen string) string {
	for _, g := range DefaultFleet {
		if g.Name == gen {
			return g.Sample
		}
	}
	return ""
}

// A microcode variant drops its flags from the Linux flags and from the
// libvirt features, and changes the revision; the rest stays as captured.
func TestMicrocodeVariantIsConsistent(t *testing.T) {
	hosts, err := Generate(refdata.Path(t, "samples"), Options{Hosts: 20000, Seed: 3,
		Generations: []Generation{{"clx", "intel-xeon-gold-6230-cascadelake.cpuinfo", 1}}})
	if err != nil {
		t.Fatal(err)
	}
	var base, tsxOff *hostfacts.Facts
	for _, h := range hosts {
		switch {
		case !slices.Contains(h.Facts.LinuxFlags, "hle") && tsxOff == nil:
			tsxOff = h.Facts
		case slices.Contains(h.Facts.LinuxFlags, "hle") && slices.Contains(h.Facts.LinuxFlags, "md_clear") && base == nil:
			base = h.Facts
		}
	}
	if base == nil || tsxOff == nil {
		t.Fatalf("want both captured and TSX-off hosts among 20000 (base %v, tsx-off %v)", base != nil, tsxOff != nil)
	}
	for _, f := range []string{"hle", "rtm"} {
		if slices.Contains(tsxOff.Features, f) || !slices.Contains(base.Features, f) {
			t.Errorf("feature %s: captured host has it %v, TSX-off host has it %v; want true, false",
				f, slices.Contains(base.Features, f), slices.Contains(tsxOff.Features, f))
		}
	}
	if tsxOff.Microcode == base.Microcode {
		t.Errorf("TSX-off host keeps microcode %s", base.Microcode)
	}
	if len(base.Features)-len(tsxOff.Features) != 2 {
		t.Errorf("TSX-off host has %d features, captured %d: want exactly hle and rtm fewer", len(tsxOff.Features), len(base.Features))
	}
}

func TestWriteDirWritesLoadableFacts(t *testing.T) {
	hosts, err := Generate(refdata.Path(t, "samples"), Options{Hosts: 12, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteDir(dir, hosts); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 12 {
		t.Fatalf("%d files, want 12", len(entries))
	}
	for _, h := range hosts {
		f, err := hostfacts.Load(t.Context(), filepath.Join(dir, h.Name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(f.TrustedFeatures, h.Facts.TrustedFeatures) {
			t.Errorf("%s: trusted features differ after a round trip", h.Name)
		}
	}
}

func TestGenerateRejectsMissingSample(t *testing.T) {
	_, err := Generate(t.TempDir(), Options{Hosts: 1})
	if err == nil {
		t.Fatal("want an error for a samples directory without the captures")
	}
}
