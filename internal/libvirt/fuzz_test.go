package libvirt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addFixtureSeeds(f *testing.F, names ...string) {
	f.Helper()
	for _, n := range names {
		ar, err := parseArchiveFile(fixturePath(n))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".stdout") || strings.HasSuffix(file.Name, ".stdin") {
				f.Add(file.Data)
			}
		}
	}
}

func FuzzParseDomCaps(f *testing.F) {
	// Cut-down real documents: whole 12 KB seeds make the fuzzer's
	// minimisation crawl (tens of execs in 15 s on a loaded 2-core box).
	for _, n := range []string{"domcaps-kvm", "domcaps-qemu"} {
		ar, err := parseArchiveFile(fixturePath(n))
		if err != nil || len(ar.Files) < 2 || ar.Files[1].Name != "1.stdout" {
			f.Fatalf("fixture %s: %v", n, err)
		}
		f.Add(shrinkDomCaps(f, ar.Files[1].Data))
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "domcaps-newer-libvirt-handmade.xml")); err == nil {
		f.Add(data)
	}
	f.Add([]byte("<domainCapabilities><cpu><mode name='custom'><model usable='yes'>x</model><blockers model='x'><feature name='a'/></blockers></mode></cpu></domainCapabilities>"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		dc, err := ParseDomCaps(data)
		if err != nil {
			if dc != nil {
				t.Fatal("non-nil result with error")
			}
			return
		}
		for _, m := range dc.Models {
			if m.Usable != UsableYes && m.Usable != UsableNo && m.Usable != UsableUnknown {
				t.Fatalf("usable %q outside yes|no|unknown", m.Usable)
			}
		}
		// The rendered host-model CPU must always be well-formed.
		if _, err := ParseCPU(dc.HostModelCPUXML()); err != nil {
			t.Fatalf("HostModelCPUXML does not parse: %v", err)
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	addFixtureSeeds(f, "version", "version-daemon-down")
	f.Add([]byte("Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nRunning against daemon: 9.0.0\n"))
	f.Add([]byte("Using library:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseVersion(data)
		if err == nil && v.Libvirt == "" {
			t.Fatal("success without a libvirt version")
		}
	})
}

func FuzzParseCPU(f *testing.F) {
	calls, err := parseArchiveFile(fixturePath("hostmodel-features-kvm"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range calls.Files {
		if file.Name == "2.stdout" {
			f.Add(file.Data)
		}
	}
	f.Add(CustomCPUXML("Westmere", []string{"pcid", "-avx"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCPU(data)
		if err != nil {
			return
		}
		feats := c.EnabledFeatures()
		for i := 1; i < len(feats); i++ {
			if feats[i-1] >= feats[i] {
				t.Fatalf("EnabledFeatures not sorted and unique: %q", feats)
			}
		}
	})
}

// FuzzCustomCPUXML checks that any model and flags give well-formed XML that
// parses back to the same names (XML escaping works).
func FuzzCustomCPUXML(f *testing.F) {
	f.Add("Westmere", "pcid,+sse4.1,-avx")
	f.Add("A&B<'>\"", "x'/><y a='")
	f.Fuzz(func(t *testing.T, model, flagList string) {
		if !utf8Clean(model) || !utf8Clean(flagList) {
			t.Skip("XML cannot carry these characters")
		}
		flags := strings.Split(flagList, ",")
		c, err := ParseCPU(CustomCPUXML(model, flags))
		if err != nil {
			t.Fatalf("CustomCPUXML(%q, %q) does not parse: %v", model, flags, err)
		}
		if c.Model != strings.TrimSpace(model) {
			t.Fatalf("model %q came back as %q", model, c.Model)
		}
		for _, feat := range c.Features {
			if feat.Policy != "require" && feat.Policy != "disable" {
				t.Fatalf("policy %q", feat.Policy)
			}
		}
	})
}

// utf8Clean reports whether s is valid UTF-8 made of characters XML 1.0 allows
// (tabs and newlines excluded too, as attribute values normalise them).
func utf8Clean(s string) bool {
	for _, r := range s {
		if r == 0xFFFD || r < 0x20 || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// shrinkDomCaps keeps a domcapabilities document up to </cpu>, with at most
// four <feature> and four <model usable> lines, and closes the root.
func shrinkDomCaps(f *testing.F, doc []byte) []byte {
	f.Helper()
	var b strings.Builder
	features, models := 0, 0
	for _, line := range strings.SplitAfter(string(doc), "\n") {
		switch {
		case strings.Contains(line, "<feature "):
			if features++; features > 4 {
				continue
			}
		case strings.Contains(line, "<model usable"):
			if models++; models > 4 {
				continue
			}
		}
		b.WriteString(line)
		if strings.Contains(line, "</cpu>") {
			b.WriteString("</domainCapabilities>\n")
			break
		}
	}
	if _, err := ParseDomCaps([]byte(b.String())); err != nil {
		f.Fatalf("shrunk seed does not parse: %v", err)
	}
	return []byte(b.String())
}
