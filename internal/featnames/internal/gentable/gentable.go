// Package gentable builds the source of featnames/zz_generated_table.go from
// the shared reference data. It is used by the generator (featnames/gen) and
// by the staleness test, which regenerates in memory.
package gentable

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Sources lists the reference files read, relative to the reference directory.
var Sources = []string{
	"linux_cpufeatures.tsv",
	"name_map.tsv",
	"libvirt_features.tsv",
	"linux_only.txt",
	"libvirt/cpu_map/x86_features.xml",
}

// FlagRow is one Linux flag of the generated table.
type FlagRow struct {
	Linux, Libvirt, Reason, Detail string
}

// FeatureRow is one libvirt feature of the generated table.
type FeatureRow struct {
	Name       string
	Migratable bool
}

// AliasRow maps another spelling to a libvirt feature name.
type AliasRow struct {
	Alias, Libvirt, Kind string
}

// GuestRow marks a libvirt feature that should not be given to a guest.
type GuestRow struct {
	Libvirt, Flag, Reason, Detail string
}

// Data is everything the generated file holds.
type Data struct {
	Flags    []FlagRow
	Features []FeatureRow
	Aliases  []AliasRow
	Guest    []GuestRow
	Hashes   map[string]string
}

// Load reads the reference directory and classifies every Linux flag.
func Load(refDir string) (*Data, error) {
	d := &Data{Hashes: map[string]string{}}
	for _, s := range Sources {
		b, err := os.ReadFile(filepath.Join(refDir, s))
		if err != nil {
			return nil, fmt.Errorf("read reference file: %w (set CPUFLAGS_REF to the shared/ref directory)", err)
		}
		sum := sha256.Sum256(b)
		d.Hashes[s] = hex.EncodeToString(sum[:])
	}
	linux, err := readTSV(filepath.Join(refDir, "linux_cpufeatures.tsv"))
	if err != nil {
		return nil, err
	}
	nm, err := readTSV(filepath.Join(refDir, "name_map.tsv"))
	if err != nil {
		return nil, err
	}
	lv, err := readTSV(filepath.Join(refDir, "libvirt_features.tsv"))
	if err != nil {
		return nil, err
	}
	sectionA, sectionB, err := readLinuxOnly(filepath.Join(refDir, "linux_only.txt"))
	if err != nil {
		return nil, err
	}
	xmlMigr, err := readMigratable(filepath.Join(refDir, "libvirt/cpu_map/x86_features.xml"))
	if err != nil {
		return nil, err
	}

	// libvirt features.
	known := map[string]bool{}
	for _, r := range lv.rows {
		name := lv.get(r, "name")
		if name == "" {
			continue
		}
		tsvNo := lv.get(r, "migratable") == "no"
		if tsvNo != xmlMigr[name] {
			return nil, fmt.Errorf("libvirt_features.tsv and x86_features.xml disagree on migratable for %s; regenerate the reference data", name)
		}
		known[name] = true
		d.Features = append(d.Features, FeatureRow{Name: name, Migratable: !tsvNo})
		for _, a := range splitAliases(lv.get(r, "aliases")) {
			d.Aliases = append(d.Aliases, AliasRow{Alias: a.name, Libvirt: name, Kind: "libvirt-alias(" + a.source + ")"})
		}
	}
	for name := range xmlMigr {
		if !known[name] {
			return nil, fmt.Errorf("x86_features.xml feature %s missing from libvirt_features.tsv", name)
		}
	}

	// name_map joins: Linux name -> libvirt name, QEMU name -> libvirt name.
	type join struct{ libvirt, qemu string }
	linuxJoin := map[string]join{}
	macroJoin := map[string]join{}
	for _, r := range nm.rows {
		ln, qn, lvn, macro := nm.get(r, "linux_name"), nm.get(r, "qemu_name"), nm.get(r, "libvirt_name"), nm.get(r, "linux_macro")
		if lvn != "" && !known[lvn] {
			return nil, fmt.Errorf("name_map.tsv names libvirt feature %q that libvirt_features.tsv lacks", lvn)
		}
		if qn != "" && lvn != "" && qn != lvn {
			d.Aliases = append(d.Aliases, AliasRow{Alias: qn, Libvirt: lvn, Kind: "qemu"})
		}
		if ln != "" {
			if prev, ok := linuxJoin[ln]; ok && prev.libvirt != "" && prev.libvirt != lvn {
				return nil, fmt.Errorf("name_map.tsv joins Linux %s to both %s and %s", ln, prev.libvirt, lvn)
			}
			if prev, ok := linuxJoin[ln]; !ok || prev.libvirt == "" {
				linuxJoin[ln] = join{lvn, qn}
			}
		}
		if macro != "" {
			if _, ok := macroJoin[macro]; !ok || lvn != "" {
				macroJoin[macro] = join{lvn, qn}
			}
		}
	}

	seen := map[string]bool{}
	add := func(row FlagRow) {
		if seen[row.Linux] {
			return
		}
		seen[row.Linux] = true
		d.Flags = append(d.Flags, row)
		if row.Libvirt != "" && row.Reason != "" {
			d.Guest = append(d.Guest, GuestRow{Libvirt: row.Libvirt, Flag: row.Linux, Reason: row.Reason, Detail: row.Detail})
		}
	}
	classify := func(name, macro, cpuid, comment string, hidden bool, linuxDefined bool, j join) (FlagRow, error) {
		row := FlagRow{Linux: name}
		if r, ok := rules[name]; ok {
			row.Reason, row.Detail, row.Libvirt = r.Reason, r.Detail, r.Libvirt
			if row.Libvirt == "" && row.Reason != "ReasonKernelDerived" {
				row.Libvirt = j.libvirt
			}
			if row.Libvirt != "" && !known[row.Libvirt] {
				return row, fmt.Errorf("rule for %s names unknown libvirt feature %s", name, row.Libvirt)
			}
			return row, nil
		}
		if det, ok := hostOnly[name]; ok {
			if j.libvirt == "" {
				return row, fmt.Errorf("host-only rule for %s but no libvirt join", name)
			}
			row.Libvirt, row.Reason, row.Detail = j.libvirt, "ReasonHostOnly", det
			return row, nil
		}
		if j.libvirt != "" {
			row.Libvirt = j.libvirt
			return row, nil
		}
		if det, ok := hostOnlyNoLibvirt[name]; ok {
			where := "Linux-defined"
			if !linuxDefined {
				where = "CPUID " + cpuid
			}
			row.Reason, row.Detail = "ReasonHostOnly", fmt.Sprintf("%s (%s): %s; libvirt defines no feature for it.", where, comment, det)
			return row, nil
		}
		if linuxDefined {
			row.Reason = "ReasonSynthetic"
			row.Detail = fmt.Sprintf("Linux-defined %s (%s): state computed by the kernel, no CPUID bit of its own.", macro, comment)
			return row, nil
		}
		row.Reason = "ReasonNoLibvirtFeature"
		row.Detail = noLibvirtDetail(cpuid+" ("+comment+")", j.qemu)
		if hidden {
			row.Detail += " Hidden in Linux 6.12; other kernels may show it."
		}
		return row, nil
	}

	type pending struct {
		name, macro, cpuid, comment string
		hidden, linuxDefined        bool
	}
	var visible, hidden []pending
	for _, r := range linux.rows {
		macro := linux.get(r, "macro")
		p := pending{
			name:    linux.get(r, "procname"),
			macro:   macro,
			comment: linux.get(r, "comment"),
		}
		src := linux.get(r, "cpuid_source")
		p.linuxDefined = src == "linux-defined"
		if !p.linuxDefined {
			p.cpuid = fmt.Sprintf("%s:%s %s[%s]", linux.get(r, "leaf"), linux.get(r, "subleaf"), linux.get(r, "reg"), linux.get(r, "cpuid_bit"))
		}
		if p.comment == "" {
			p.comment = strings.TrimPrefix(macro, "X86_FEATURE_")
		}
		if linux.get(r, "visible") == "yes" && p.name != "" {
			visible = append(visible, p)
		} else {
			p.hidden = true
			p.name = strings.ToLower(strings.TrimPrefix(macro, "X86_FEATURE_"))
			hidden = append(hidden, p)
		}
	}
	for _, p := range visible {
		if sectionA[p.name] && !p.linuxDefined {
			return nil, fmt.Errorf("linux_only.txt section A lists %s, but linux_cpufeatures.tsv gives it a CPUID bit", p.name)
		}
		j := linuxJoin[p.name]
		if sectionB[p.name] && j.libvirt != "" {
			return nil, fmt.Errorf("linux_only.txt section B lists %s, but name_map.tsv joins it to %s", p.name, j.libvirt)
		}
		row, err := classify(p.name, p.macro, p.cpuid, p.comment, false, p.linuxDefined, j)
		if err != nil {
			return nil, err
		}
		add(row)
	}
	// Hidden 6.12 rows: other kernel versions show some of them under the
	// lower-cased macro name.
	for _, p := range hidden {
		if seen[p.name] {
			continue
		}
		row, err := classify(p.name, p.macro, p.cpuid, p.comment, true, p.linuxDefined, macroJoin[p.macro])
		if err != nil {
			return nil, err
		}
		if row.Reason == "ReasonSynthetic" {
			row.Detail = strings.TrimSuffix(row.Detail, ".") + "; hidden in Linux 6.12, shown by other kernels."
		}
		add(row)
	}
	// Hand-written names absent from the 6.12 table (older/newer kernels).
	var extra []string
	for name := range rules {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		row, err := classify(name, "", "", "", true, true, join{})
		if err != nil {
			return nil, err
		}
		add(row)
	}
	// libvirt features without a visible Linux flag that still must not be
	// given to a guest.
	d.Guest = append(d.Guest, GuestRow{Libvirt: "invtsc", Flag: "nonstop_tsc", Reason: "ReasonNotMigratable", Detail: rules["nonstop_tsc"].Detail})

	sort.Slice(d.Flags, func(i, j int) bool { return d.Flags[i].Linux < d.Flags[j].Linux })
	sort.Slice(d.Features, func(i, j int) bool { return d.Features[i].Name < d.Features[j].Name })
	sort.Slice(d.Aliases, func(i, j int) bool {
		if d.Aliases[i].Alias != d.Aliases[j].Alias {
			return d.Aliases[i].Alias < d.Aliases[j].Alias
		}
		return d.Aliases[i].Libvirt < d.Aliases[j].Libvirt
	})
	d.Aliases = dedupAliases(d.Aliases)
	sort.Slice(d.Guest, func(i, j int) bool { return d.Guest[i].Libvirt < d.Guest[j].Libvirt })
	for i := 1; i < len(d.Guest); i++ {
		if d.Guest[i].Libvirt == d.Guest[i-1].Libvirt {
			return nil, fmt.Errorf("two guest exclusions for libvirt feature %s (flags %s, %s)", d.Guest[i].Libvirt, d.Guest[i-1].Flag, d.Guest[i].Flag)
		}
	}
	return d, nil
}

func dedupAliases(in []AliasRow) []AliasRow {
	var out []AliasRow
	for _, a := range in {
		if n := len(out); n > 0 && out[n-1].Alias == a.Alias && out[n-1].Libvirt == a.Libvirt {
			continue
		}
		out = append(out, a)
	}
	return out
}

type alias struct{ name, source string }

// splitAliases parses "sse4-1(qemu),sse4_1(qemu)".
func splitAliases(s string) []alias {
	var out []alias
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, src, _ := strings.Cut(part, "(")
		out = append(out, alias{name: name, source: strings.TrimSuffix(src, ")")})
	}
	return out
}
