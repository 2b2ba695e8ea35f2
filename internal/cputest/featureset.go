package cputest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// TSVRows reads a reference TSV file with a header line into maps; lines starting with
// '#' are comments.
func TSVRows(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var header []string
	var rows []map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if header == nil {
			header = cols
			continue
		}
		row := map[string]string{}
		for i, h := range header {
			if i < len(cols) {
				row[h] = cols[i]
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return rows
}

type libvirtFeature struct {
	name     string
	isMSR    bool
	leaf     uint32
	sub      uint32
	reg      string
	bit      int
	msrIndex uint32
}

type Set struct {
	dir        string
	features   []libvirtFeature
	linuxFlags []linuxBit
}

type linuxBit struct {
	name string
	leaf uint32
	sub  uint32
	reg  string
	bit  int
}

func Load(t testing.TB) *Set {
	t.Helper()
	dir := refdata.MustFind(t)
	r := &Set{dir: dir}
	for _, row := range TSVRows(t, filepath.Join(dir, "libvirt_features.tsv")) {
		f := libvirtFeature{name: row["name"]}
		switch row["type"] {
		case "cpuid":
			f.leaf, f.reg = hex32(t, row["leaf"]), row["reg"]
			sub, _ := strconv.Atoi(row["subleaf"])
			f.sub = uint32(sub)
			f.bit, _ = strconv.Atoi(row["bit"])
		case "msr":
			f.isMSR = true
			f.msrIndex = hex32(t, row["msr_index"])
			f.bit, _ = strconv.Atoi(row["bit64"])
		default:
			continue
		}
		r.features = append(r.features, f)
	}
	for _, row := range TSVRows(t, filepath.Join(dir, "linux_cpufeatures.tsv")) {
		if row["visible"] != "yes" || row["procname"] == "" || row["leaf"] == "" || !strings.HasPrefix(row["leaf"], "0x") {
			continue
		}
		b := linuxBit{name: row["procname"], leaf: hex32(t, row["leaf"]), reg: row["reg"]}
		sub, _ := strconv.Atoi(row["subleaf"])
		b.sub = uint32(sub)
		bitCol := row["bit"]
		if strings.HasPrefix(row["cpuid_source"], "scattered") && row["cpuid_bit"] != "" {
			bitCol = row["cpuid_bit"]
		}
		b.bit, _ = strconv.Atoi(bitCol)
		r.linuxFlags = append(r.linuxFlags, b)
	}
	if len(r.features) < 300 || len(r.linuxFlags) < 200 {
		t.Fatalf("reference tables look truncated: %d libvirt features, %d Linux CPUID flags", len(r.features), len(r.linuxFlags))
	}
	return r
}

// LibvirtNames decodes CPUID/MSR data into libvirt feature names.
func (r *Set) LibvirtNames(d CPUData) map[string]bool {
	out := map[string]bool{}
	for _, f := range r.features {
		if f.isMSR {
			if v, ok := d.msr[f.msrIndex]; ok && v>>uint(f.bit)&1 == 1 {
				out[f.name] = true
			}
			continue
		}
		if d.bit(f.leaf, f.sub, f.reg, f.bit) {
			out[f.name] = true
		}
	}
	return out
}

func IsMSRFeature(r *Set, name string) bool {
	for _, f := range r.features {
		if f.name == name {
			return f.isMSR
		}
	}
	return false
}
