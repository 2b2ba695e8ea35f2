package baseline

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// rawFlags reads the Linux flags of a sample with the test's own parser
// (first "flags" line of /proc/cpuinfo, "Flags:" of lscpu or lscpu -J).
func rawFlags(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var line string
	switch {
	case strings.HasSuffix(path, ".json"):
		var doc struct {
			Lscpu []struct{ Field, Data string } `json:"lscpu"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, e := range doc.Lscpu {
			if e.Field == "Flags:" {
				line = e.Data
			}
		}
	default:
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() && line == "" {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && (strings.TrimSpace(k) == "flags" || strings.TrimSpace(k) == "Flags") {
				line = v
			}
		}
	}
	if line == "" {
		t.Fatalf("%s: no flags line", path)
	}
	return normalize(strings.Fields(line))
}

// refNameMap reads linux_name -> libvirt_name from the reference table.
func refNameMap(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(refdata.Path(t, "name_map.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, ln := range strings.Split(string(data), "\n") {
		c := strings.Split(ln, "\t")
		if i == 0 || len(c) < 3 || c[0] == "" || c[2] == "" {
			continue
		}
		out[c[0]] = c[2]
	}
	return out
}

type sample struct {
	file  string
	host  Host
	raw   []string        // Linux flags, test parser
	feats map[string]bool // libvirt names via name_map.tsv
}

func loadSamples(t *testing.T) []sample {
	t.Helper()
	dir := refdata.Path(t, "samples")
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	nm := refNameMap(t)
	var out []sample
	for _, p := range files {
		f := filepath.Base(p)
		if f == "INDEX.tsv" {
			continue
		}
		// The raw cpuinfo view: this test checks the intersection engine
		// against its own intersection of the translated flags, so the
		// guest-view prediction (guestview, tested there) stays out.
		s := sample{file: f, host: rawSampleHost(t, f, ""), raw: rawFlags(t, p), feats: map[string]bool{}}
		for _, l := range s.raw {
			if _, linuxOnly := featnames.Builtin().IsLinuxOnly(l); linuxOnly {
				continue // featnames' per-flag verdict (e.g. vnmi, which names a VMX capability on Intel)
			}
			if l == "vnmi" && s.host.Vendor == featnames.VendorIntel {
				continue // on Intel, Linux's vnmi is the VMX virtual-NMI capability, not AMD's SVM CPUID bit
			}
			if lv, ok := nm[l]; ok {
				s.feats[lv] = true
			}
		}
		out = append(out, s)
	}
	if len(out) < 30 {
		t.Fatalf("only %d samples found in %s", len(out), dir)
	}
	return out
}

// derivable are the libvirt features featnames derives per vendor from
// kernel-synthesized flags; name_map.tsv cannot join them (ref README
// caveat 3), so the independent comparison leaves them out.
var derivable = map[string]bool{"spec-ctrl": true, "stibp": true, "ssbd": true, "ibrs-all": true, "ibpb": true, "ibrs": true, "amd-stibp": true, "auto-ibrs": true}

// TestSamplesPairsAndTriples checks, on every pair and triple of reference
// samples, that the common set equals the test's own intersection (raw
// files, names through name_map.tsv), that the Linux intersection is exact,
// and that the chosen model's features plus the extra flags are on every host.
func TestSamplesPairsAndTriples(t *testing.T) {
	ss := loadSamples(t)
	names := featnames.Builtin()
	var combos [][]int
	for i := range ss {
		for j := i + 1; j < len(ss); j++ {
			combos = append(combos, []int{i, j})
			for k := j + 1; k < len(ss); k++ {
				combos = append(combos, []int{i, j, k})
			}
		}
	}
	step := 1
	if testing.Short() {
		step = 17
	}
	checked := 0
	for n := 0; n < len(combos); n += step {
		idx := combos[n]
		var hosts []Host
		var label []string
		for _, i := range idx {
			hosts = append(hosts, ss[i].host)
			label = append(label, ss[i].file)
		}
		a := mustAcc(t, hosts...)
		r, err := Compute(a, Request{})
		if err != nil {
			t.Fatalf("%v: %v", label, err)
		}
		checked++

		// Independent libvirt-name intersection on the guestable, non-derived universe.
		var want []string
		for f := range ss[idx[0]].feats {
			ok, _ := names.Guestable(f)
			if !ok || derivable[f] {
				continue
			}
			all := true
			for _, i := range idx[1:] {
				all = all && ss[i].feats[f]
			}
			if all {
				want = append(want, f)
			}
		}
		sort.Strings(want)
		var got []string
		for _, f := range r.Common {
			if ok, _ := names.Guestable(f); ok && !derivable[f] {
				got = append(got, f)
			}
		}
		if !cmp.Equal(got, want, cmpEmpty) {
			t.Fatalf("%v: common set differs from the independent intersection (-want +got):\n%s", label, cmp.Diff(want, got, cmpEmpty))
		}
		// Exact Linux intersection.
		var wantLinux []string
		for _, f := range ss[idx[0]].raw {
			all := true
			for _, i := range idx[1:] {
				all = all && slices.Contains(ss[i].raw, f)
			}
			if all {
				wantLinux = append(wantLinux, f)
			}
		}
		if !cmp.Equal(r.SourceToTarget, wantLinux, cmpEmpty) {
			t.Fatalf("%v: Linux intersection differs (-want +got):\n%s", label, cmp.Diff(wantLinux, r.SourceToTarget, cmpEmpty))
		}
		// Model features (as checked for the host's view) + extra flags on every host.
		if r.Model == "" {
			if r.ModelSource != ModelNone || len(r.Warnings) == 0 {
				t.Fatalf("%v: no model but source %q and no warning", label, r.ModelSource)
			}
			continue
		}
		m, _ := testCatalog.Lookup(r.Model)
		for _, h := range hosts {
			have := toSet(h.Features)
			for _, f := range append(required(m, h), r.ExtraFlags...) {
				if !have[f] {
					t.Fatalf("%v: model %s + extra flags need %s, which host %s lacks", label, r.Model, f, h.Name)
				}
			}
		}
		if len(r.ModelBlockers) != 0 {
			t.Fatalf("%v: recommended model %s has blockers %v", label, r.Model, r.ModelBlockers)
		}
	}
	t.Logf("checked %d of %d combinations", checked, len(combos))
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })
