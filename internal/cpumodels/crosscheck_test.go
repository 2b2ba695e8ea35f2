package cpumodels_test

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// testCPU is libvirt's <cpu> element in cputestdata -host.xml/-guest.xml.
type testCPU struct {
	Model    string `xml:"model"`
	Features []struct {
		Name   string `xml:"name,attr"`
		Policy string `xml:"policy,attr"`
	} `xml:"feature"`
}

// cpuData is a CPUID/MSR dump (x86_64-cpuid-<CPU>.xml).
type cpuData struct {
	CPUID []struct {
		EaxIn string `xml:"eax_in,attr"`
		EcxIn string `xml:"ecx_in,attr"`
		EAX   string `xml:"eax,attr"`
		EBX   string `xml:"ebx,attr"`
		ECX   string `xml:"ecx,attr"`
		EDX   string `xml:"edx,attr"`
	} `xml:"cpuid"`
}

func readXML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func hex(s string) uint32 {
	v, _ := strconv.ParseUint(s, 0, 32)
	return uint32(v)
}

// decodeCPUID returns the CPUID (non-MSR) features present in a dump.
func decodeCPUID(c *cpumodels.Catalog, d cpuData) map[string]bool {
	type key struct{ leaf, sub uint32 }
	regs := map[key][4]uint32{}
	for _, l := range d.CPUID {
		regs[key{hex(l.EaxIn), hex(l.EcxIn)}] = [4]uint32{hex(l.EAX), hex(l.EBX), hex(l.ECX), hex(l.EDX)}
	}
	out := map[string]bool{}
	for name, f := range c.Features {
		if f.MSR || len(f.Bits) == 0 {
			continue
		}
		b := f.Bits[0]
		r, ok := regs[key{b.Leaf, b.Subleaf}]
		if ok && r[0]&b.EAX == b.EAX && r[1]&b.EBX == b.EBX && r[2]&b.ECX == b.ECX && r[3]&b.EDX == b.EDX {
			out[name] = true
		}
	}
	return out
}

// TestCrossCheckCPUTestData compares libvirt's own host-CPU results with our
// expansion: for every x86_64-cpuid-<CPU>-host.xml, model features plus the
// listed extra features must equal what the CPUID dump decodes to (CPUID
// features only: most dumps carry no MSRs), and no listed feature may already
// be in the model.
func TestCrossCheckCPUTestData(t *testing.T) {
	c := cpumodels.Builtin()
	dir := refdata.Path(t, "libvirt", "cputestdata")
	hosts, _ := filepath.Glob(filepath.Join(dir, "x86_64-cpuid-*-host.xml"))
	if len(hosts) < 50 {
		t.Fatalf("found %d host files in %s", len(hosts), dir)
	}
	var mismatched []string
	for _, h := range hosts {
		cpu := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(h), "x86_64-cpuid-"), "-host.xml")
		var hc testCPU
		readXML(t, h, &hc)
		m, ok := c.Lookup(hc.Model)
		if !ok {
			t.Errorf("%s: model %s unknown", cpu, hc.Model)
			continue
		}
		got := map[string]bool{}
		for _, f := range m.CPUIDFeatures() {
			got[f] = true
		}
		for _, f := range hc.Features {
			canon, ok := c.Canonical(f.Name)
			if !ok {
				t.Errorf("%s: feature %s unknown", cpu, f.Name)
				continue
			}
			if m.HasFeature(canon) {
				t.Errorf("%s: extra feature %s already in model %s", cpu, canon, m.Name)
			}
			if !c.Features[canon].MSR {
				got[canon] = true
			}
		}
		var dump cpuData
		readXML(t, filepath.Join(dir, "x86_64-cpuid-"+cpu+".xml"), &dump)
		want := decodeCPUID(c, dump)
		var diffs []string
		for f := range want {
			if !got[f] {
				diffs = append(diffs, "-"+f)
			}
		}
		for f := range got {
			if !want[f] {
				diffs = append(diffs, "+"+f)
			}
		}
		if len(diffs) > 0 {
			slices.Sort(diffs)
			mismatched = append(mismatched, cpu+": "+strings.Join(diffs, " "))
		}
	}
	// libvirt drops broken TSX on some Haswells on purpose (x86DataFilterTSX).
	allowed := map[string]bool{"Core-i5-4670T: -hle -rtm": true}
	for _, m := range mismatched {
		if !allowed[m] {
			t.Errorf("host CPU not reproduced (-missing from model+features, +extra): %s", m)
		}
	}
	t.Logf("%d host files checked, %d known deviations", len(hosts), len(mismatched))
}

// TestCrossCheckGuestFiles: a guest CPU requires only features outside its
// model. EPYC guests require monitor,
// which confirms removed='yes' takes it out of the model.
func TestCrossCheckGuestFiles(t *testing.T) {
	c := cpumodels.Builtin()
	dir := refdata.Path(t, "libvirt", "cputestdata")
	guests, _ := filepath.Glob(filepath.Join(dir, "x86_64-cpuid-*-guest.xml"))
	if len(guests) < 50 {
		t.Fatalf("found %d guest files", len(guests))
	}
	var epycMonitor bool
	for _, g := range guests {
		var gc testCPU
		readXML(t, g, &gc)
		m, ok := c.Lookup(gc.Model)
		if !ok {
			t.Errorf("%s: model %s unknown", filepath.Base(g), gc.Model)
			continue
		}
		for _, f := range gc.Features {
			canon, ok := c.Canonical(f.Name)
			if !ok {
				t.Errorf("%s: feature %s unknown", filepath.Base(g), f.Name)
				continue
			}
			switch f.Policy {
			case "require":
				if m.HasFeature(canon) {
					t.Errorf("%s: requires %s already in %s", filepath.Base(g), canon, m.Name)
				}
				if canon == "monitor" && strings.HasPrefix(m.Name, "EPYC") {
					epycMonitor = true
				}
			case "disable":
				// Not checked: libvirt also disables features outside the
				// model (Atom-P5362 disables mpx on Snowridge, i7-2600-xsaveopt
				// disables xsaveopt on SandyBridge), so only requires are
				// informative.
			}
		}
	}
	if !epycMonitor {
		t.Error("no EPYC guest requires monitor; removed='yes' semantics unconfirmed")
	}
}
