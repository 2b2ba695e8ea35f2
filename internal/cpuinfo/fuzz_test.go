package cpuinfo

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// addSeeds adds the hand-made inputs and a few real samples to the corpus.
func addSeeds(f *testing.F) {
	f.Helper()
	inputs, err := filepath.Glob(filepath.Join("testdata", "input", "*"))
	if err != nil || len(inputs) == 0 {
		f.Fatalf("no seed inputs: %v", err)
	}
	for _, p := range inputs {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"processor\t: 0\nflags\t\t: fpu fpu\n\nprocessor\t: 0\nflags\t\t: vme\n",
		"Flags: a\n b\n  c\n\t\td\n",
		`{"lscpu":[{"field":"Flags:","data":null,"children":[{"field":"Flags:","data":"x"}]}]}`,
		" fpu\r\n#x\n\n",
	} {
		f.Add([]byte(s))
	}
}

// checkInvariant fails unless Parse gave an error or a CPU with ≥1 flag,
// sorted and unique.
func checkInvariant(t *testing.T, data []byte, f Format) {
	cpu, err := Parse(data, f)
	if err != nil {
		if cpu != nil {
			t.Fatalf("Parse returned both a CPU and error %v", err)
		}
		return
	}
	if cpu == nil || len(cpu.Flags) == 0 {
		t.Fatalf("Parse(%q) succeeded with no flags: %+v", data, cpu)
	}
	if !slices.IsSorted(cpu.Flags) || len(slices.Compact(slices.Clone(cpu.Flags))) != len(cpu.Flags) {
		t.Fatalf("flags not sorted/unique: %q", cpu.Flags)
	}
	for _, fl := range cpu.Flags {
		if !validFlag(fl) {
			t.Fatalf("invalid flag %q accepted", fl)
		}
	}
	if cpu.FlagsDiffer != (len(cpu.FlagDifferences) > 0) {
		t.Fatalf("FlagsDiffer %v with %d differences", cpu.FlagsDiffer, len(cpu.FlagDifferences))
	}
	if f != "" && cpu.Format != f {
		t.Fatalf("Format = %q, asked for %q", cpu.Format, f)
	}
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariant(t, data, "") })
}

func FuzzParseCPUInfo(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariant(t, data, FormatCPUInfo) })
}

func FuzzParseLscpu(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariant(t, data, FormatLscpu) })
}

func FuzzParseLscpuJSON(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariant(t, data, FormatLscpuJSON) })
}

func FuzzParseFlagList(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { checkInvariant(t, data, FormatFlagList) })
}
