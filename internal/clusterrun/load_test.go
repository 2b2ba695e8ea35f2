package clusterrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/fleetsynth"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// Identical facts documents are decoded once and share their facts;
// the hosts keep the order of the sources; Compute over them equals the
// baseline of the same hosts decoded one by one.
func TestLoadHostsDecodesEachDocumentOnce(t *testing.T) {
	fleet, err := fleetsynth.Generate(refdata.Path(t, "samples"), fleetsynth.Options{Hosts: 300, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := fleetsynth.WriteDir(dir, fleet); err != nil {
		t.Fatal(err)
	}
	var srcs []Source
	for _, h := range fleet {
		srcs = append(srcs, Source{Name: h.Name, Group: h.Generation, Path: filepath.Join(dir, h.Name+".json")})
	}
	// A captured CPU description among the documents.
	capture := refdata.Path(t, "samples", "amd-epyc-7742-rome.lscpu")
	srcs = append(srcs, Source{Name: "rome", Path: capture})
	hosts, err := LoadHosts(context.Background(), srcs, hostfacts.Prediction{})
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[any]bool{}
	for i, h := range hosts {
		if h.Name != srcs[i].Name || h.Facts == nil {
			t.Fatalf("host %d is %q (facts %v), want %q in source order", i, h.Name, h.Facts != nil, srcs[i].Name)
		}
		if i < len(fleet) {
			distinct[h.Facts] = true
			if h.Facts.Microcode != fleet[i].Facts.Microcode || len(h.Facts.TrustedFeatures) != len(fleet[i].Facts.TrustedFeatures) {
				t.Errorf("%s: decoded facts differ from the written ones", h.Name)
			}
		}
	}
	wantDistinct := map[any]bool{}
	for _, h := range fleet {
		wantDistinct[h.Facts] = true
	}
	if len(distinct) != len(wantDistinct) {
		t.Errorf("%d decoded facts for %d distinct documents", len(distinct), len(wantDistinct))
	}
	if hosts[len(hosts)-1].Facts.Source != capture {
		t.Errorf("the capture's facts name %q, want its path", hosts[len(hosts)-1].Facts.Source)
	}
	shared, err := Compute(Input{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	var one []Host
	for _, h := range hosts {
		c := *h.Facts // a private copy per host: nothing shared
		one = append(one, Host{Name: h.Name, Group: h.Group, Facts: &c})
	}
	single, err := Compute(Input{Hosts: one})
	if err != nil {
		t.Fatal(err)
	}
	if shared.Model != single.Model || len(shared.Classes) != len(single.Classes) || strings.Join(shared.ExtraFlags, ",") != strings.Join(single.ExtraFlags, ",") {
		t.Errorf("shared facts give %s/%d classes/%v, private copies %s/%d/%v",
			shared.Model, len(shared.Classes), shared.ExtraFlags, single.Model, len(single.Classes), single.ExtraFlags)
	}
}

// A broken document is named by its own path even when an identical one
// failed first under another name.
func TestLoadHostsNamesTheFailingFile(t *testing.T) {
	dir := t.TempDir()
	bad := `{"trusted_view": "sideways", "linux_flags": ["sse2"], "features": ["sse2"]}`
	for _, n := range []string{"a.json", "b.json"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadHosts(context.Background(), []Source{{Name: "b", Path: filepath.Join(dir, "b.json")}, {Name: "a", Path: filepath.Join(dir, "a.json")}}, hostfacts.Prediction{})
	if err == nil || !strings.Contains(err.Error(), "b.json") || !strings.Contains(err.Error(), "sideways") {
		t.Fatalf("error %v: want the first source in order (b.json) and the bad trusted_view", err)
	}
	_, err = LoadHosts(context.Background(), []Source{{Name: "x", Path: filepath.Join(dir, "missing.json")}}, hostfacts.Prediction{})
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("error %v: want the missing file named", err)
	}
}

// The reports stay readable at fleet scale: one matrix column per class,
// no line of report.md longer than a screenful of names, report.json
// without per-host feature lists.
func TestReportsAtFleetScale(t *testing.T) {
	fleet, err := fleetsynth.Generate(refdata.Path(t, "samples"), fleetsynth.Options{Hosts: 20000, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	var hosts []Host
	for _, h := range fleet {
		hosts = append(hosts, Host{Name: h.Name, Facts: h.Facts})
	}
	r, err := Compute(Input{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Files(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]byte{}
	for _, f := range files {
		byName[f.Name] = f.Content
	}
	html := string(byName["report.html"])
	if n := strings.Count(html, `<th class="host`); n != len(r.Classes) || n > 40 {
		t.Errorf("matrix has %d columns for %d classes", n, len(r.Classes))
	}
	for i, ln := range strings.Split(string(byName["report.md"]), "\n") {
		if len(ln) > 20000 {
			t.Errorf("report.md line %d is %d bytes: %.80s…", i+1, len(ln), ln)
		}
	}
	// Per host, report.json holds a summary line, not feature lists: well
	// under 1 KB a host.
	if n := len(byName["report.json"]); n > 20000*400 {
		t.Errorf("report.json is %d bytes for 20,000 hosts", n)
	}
	if len(html) > 2<<20 {
		t.Errorf("report.html is %d bytes for 20,000 hosts", len(html))
	}
}
