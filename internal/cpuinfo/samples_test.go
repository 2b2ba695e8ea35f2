package cpuinfo

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the parser output")

// indexRow is one row of shared/ref/samples/INDEX.tsv.
type indexRow struct {
	file, modelName, kind, vm string
	nFlags                    int
}

func readIndex(t *testing.T) []indexRow {
	t.Helper()
	fh, err := os.Open(refdata.Path(t, "samples", "INDEX.tsv"))
	if err != nil {
		t.Fatalf("open INDEX.tsv: %v", err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.Comma = '\t'
	r.LazyQuotes = true
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read INDEX.tsv: %v", err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"file", "cpu_model_name", "kind", "vm", "n_flags"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("INDEX.tsv has no %q column", h)
		}
	}
	var rows []indexRow
	for _, rec := range recs[1:] {
		n, err := strconv.Atoi(rec[col["n_flags"]])
		if err != nil {
			t.Fatalf("INDEX.tsv %s: n_flags %q: %v", rec[col["file"]], rec[col["n_flags"]], err)
		}
		rows = append(rows, indexRow{
			file: rec[col["file"]], modelName: rec[col["cpu_model_name"]],
			kind: rec[col["kind"]], vm: rec[col["vm"]], nFlags: n,
		})
	}
	return rows
}

// indexOverrides are samples where the parser legitimately disagrees with INDEX.tsv.
var indexOverrides = map[string]struct {
	nFlags int
	reason string
}{
	"intel-xeon-e5-2680-sandybridge-ep.cpuinfo": {
		nFlags: 76,
		reason: "old kernel names both X86_FEATURE_DTS (CPUID 1 EDX21) and X86_FEATURE_DTHERM (6 EAX0) \"dts\", " +
			"so every flags line holds \"dts\" twice; INDEX counts 77 tokens, the unique flag set has 76",
	},
}

func TestSamplesMatchIndex(t *testing.T) {
	rows := readIndex(t)
	if len(rows) != 41 {
		t.Errorf("INDEX.tsv has %d rows, want 41", len(rows))
	}
	for _, row := range rows {
		t.Run(row.file, func(t *testing.T) {
			cpu, err := ReadFile(refdata.Path(t, "samples", row.file), "")
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			if string(cpu.Format) != row.kind {
				t.Errorf("Format = %q, INDEX kind = %q", cpu.Format, row.kind)
			}
			wantVendor := map[string]string{"amd": "AMD", "intel": "Intel"}[strings.SplitN(row.file, "-", 2)[0]]
			if wantVendor == "" || cpu.Vendor != wantVendor {
				t.Errorf("Vendor = %q, want %q from the file-name prefix", cpu.Vendor, wantVendor)
			}
			if want := strings.Join(strings.Fields(row.modelName), " "); cpu.ModelName != want {
				t.Errorf("ModelName = %q, INDEX cpu_model_name = %q", cpu.ModelName, want)
			}
			want, reason := row.nFlags, "INDEX n_flags"
			if o, ok := indexOverrides[row.file]; ok {
				want, reason = o.nFlags, o.reason
			}
			if len(cpu.Flags) != want {
				t.Errorf("len(Flags) = %d, want %d (%s)", len(cpu.Flags), want, reason)
			}
			if wantVM := row.vm == "yes"; cpu.Hypervisor != wantVM {
				t.Errorf("Hypervisor = %v, INDEX vm = %q", cpu.Hypervisor, row.vm)
			}
			if cpu.FlagsDiffer {
				t.Errorf("FlagsDiffer on a real sample: %+v", cpu.FlagDifferences)
			}
			if cpu.Architecture != "x86_64" {
				t.Errorf("Architecture = %q, want x86_64", cpu.Architecture)
			}
		})
	}
	for file := range indexOverrides {
		found := false
		for _, row := range rows {
			found = found || row.file == file
		}
		if !found {
			t.Errorf("override for %s, which INDEX.tsv does not list", file)
		}
	}
}

func TestSamplesGolden(t *testing.T) {
	rows := readIndex(t)
	want := map[string]bool{}
	for _, row := range rows {
		name := row.file + ".json"
		want[name] = true
		t.Run(row.file, func(t *testing.T) {
			cpu, err := ReadFile(refdata.Path(t, "samples", row.file), "")
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			got, err := json.MarshalIndent(cpu, "", "  ")
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatalf("write golden: %v", err)
				}
			}
			wantJSON, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run go test -run TestSamplesGolden -update): %v", err)
			}
			if !bytes.Equal(got, wantJSON) {
				t.Errorf("%s is stale (-golden +got):\n%s", golden, cmp.Diff(string(wantJSON), string(got)))
			}
			// The golden file must round-trip into the same CPU.
			var back CPU
			if err := json.Unmarshal(wantJSON, &back); err != nil {
				t.Fatalf("golden does not decode: %v", err)
			}
			if diff := cmp.Diff(cpu, &back); diff != "" && !*update {
				t.Errorf("golden decodes to another CPU (-parsed +golden):\n%s", diff)
			}
		})
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatalf("read golden dir: %v", err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("stale golden file %s: no such sample", e.Name())
		}
	}
}
