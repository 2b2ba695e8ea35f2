// Command gen writes internal/guestview/kernelnames.tsv: for each
// flag name Linux prints in /proc/cpuinfo, the releases whose
// arch/x86/include/asm/cpufeatures.h print it, and the kernel bounds a
// capture showing the name proves.
//
// Usage (the headers are not in the repository; docs/GUESTVIEW.md says
// where each came from):
//
//	go run ./internal/guestview/gen -o internal/guestview/kernelnames.tsv DIR
//
// DIR holds one directory per release read (4.19.0, 5.10.223, 6.16.1, ...),
// each with that release's cpufeatures.h. A release's series is its
// major.minor: a name first printed by a read release of series S proves
// "Linux >= S"; a name no read release after series S prints proves
// "Linux < the next series read". Names of speculation mitigations and of
// Linux-defined (synthetic) words prove no lower bound: the stable series
// backport them, so an older kernel prints them too.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("o", "kernelnames.tsv", "output file")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: genkernelnames -o FILE DIR (DIR/<release>/cpufeatures.h)")
		os.Exit(2)
	}
	data, err := generate(flag.Arg(0))
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genkernelnames:", err)
		os.Exit(1)
	}
}

// lateStable is the patch level from which a release counts as a late
// stable release (its new names may be backports).
const lateStable = 20

type release struct {
	name   string // as read: 5.15.100, 5.17.0-rc5
	ver    [3]int
	series string // 5.15
	sum    string
	names  map[string]flagInfo
}

type flagInfo struct{ kind string }

var (
	reDefine = regexp.MustCompile(`^#define\s+X86_FEATURE_([A-Z0-9_]+)\s+\(\s*([0-9]+)\s*\*\s*32\s*\+\s*([0-9]+)\s*\)\s*(?:/\*(.*?)(?:\*/|$))?`)
	// Words whose bits Linux defines itself (synthetic or scattered flags;
	// the headers' own word comments, e.g. "Auxiliary flags: Linux defined
	// ... word 7").
	linuxDefinedWords = map[int]bool{3: true, 7: true, 8: true, 11: true, 21: true}
	reQuoted          = regexp.MustCompile(`^\s*"([^"]*)"`)
	// The note of Linux 6.11 and later: only quoted names are displayed.
	reQuotedOnly = regexp.MustCompile(`Otherwise,\s+this\s+feature[\s*]+bit\s+is\s+not\s+displayed`)
	// Speculation-mitigation names: the stable series backport these, so
	// their first mainline release bounds nothing.
	reMitigation = regexp.MustCompile(`(?i)SPEC|IBRS|IBPB|STIBP|SSBD|SSB_NO|SRSO|BHI|RETBLEED|RETPOLINE|RETHUNK|UNRET|L1D|MD_CLEAR|RFDS|GDS|ITS|VERW|TSA|PSFD|BTC|RSBA|PBRSB|FB_CLEAR|TAA|MDS|SBPB|BRTYPE|VMSCAPE|ARCH_CAPABILITIES|FLUSH|CLEAR_CPU_BUF|KERNEL_IBRS|USE_IB|RSB_|ENTRY_IBPB|IBPB_|MSR_SPEC|LFENCE|SPLIT_LOCK|BUS_LOCK`)
)

func parseRelease(dir, name string) (release, error) {
	r := release{name: name, names: map[string]flagInfo{}}
	parts := regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.([0-9]+)`).FindStringSubmatch(name)
	if parts == nil {
		return r, fmt.Errorf("%s: release directory is not named MAJOR.MINOR.PATCH", name)
	}
	for i := 0; i < 3; i++ {
		r.ver[i], _ = strconv.Atoi(parts[i+1])
	}
	r.series = parts[1] + "." + parts[2]
	path := filepath.Join(dir, name, "cpufeatures.h")
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	sum := sha256.Sum256(b)
	r.sum = hex.EncodeToString(sum[:])
	text := string(b)
	// Linux 6.11 flipped the convention: a name is printed only when quoted.
	quotedOnly := reQuotedOnly.MatchString(text)
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		m := reDefine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		macro, comment := m[1], m[4]
		word, _ := strconv.Atoi(m[2])
		shown := ""
		if q := reQuoted.FindStringSubmatch(comment); q != nil {
			shown = q[1]
		} else if !quotedOnly {
			shown = strings.ToLower(macro)
		}
		if shown == "" {
			continue
		}
		kind := "cpuid"
		switch {
		case reMitigation.MatchString(macro):
			kind = "mitigation"
		case linuxDefinedWords[word]:
			kind = "linux"
		}
		r.names[shown] = flagInfo{kind: kind}
	}
	if len(r.names) < 100 {
		return r, fmt.Errorf("%s: only %d displayed names; not a cpufeatures.h?", path, len(r.names))
	}
	return r, sc.Err()
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func generate(dir string) ([]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var rels []release
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		r, err := parseRelease(dir, e.Name())
		if err != nil {
			return nil, err
		}
		rels = append(rels, r)
	}
	if len(rels) < 2 {
		return nil, fmt.Errorf("%s: need at least two releases", dir)
	}
	sort.Slice(rels, func(i, j int) bool { return less(rels[i].ver, rels[j].ver) })
	var series []string
	for _, r := range rels {
		if len(series) == 0 || series[len(series)-1] != r.series {
			series = append(series, r.series)
		}
	}
	seriesIndex := map[string]int{}
	for i, s := range series {
		seriesIndex[s] = i
	}
	all := map[string]bool{}
	for _, r := range rels {
		for n := range r.names {
			all[n] = true
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)

	var b strings.Builder
	b.WriteString("# Linux /proc/cpuinfo flag names and the kernel releases that print them.\n")
	b.WriteString("# Generated by internal/guestview/gen from arch/x86/include/asm/cpufeatures.h of:\n")
	for _, r := range rels {
		fmt.Fprintf(&b, "#   %s sha256:%s\n", r.name, r.sum)
	}
	b.WriteString("# first/last: the oldest and newest release read that prints the name.\n")
	b.WriteString("# min_linux: a capture printing it comes from Linux >= this series (empty: no bound: printed by the oldest release\n")
	b.WriteString("#   read, a mitigation or Linux-defined name the stable series backport, or first read in a late stable release).\n")
	b.WriteString("# below_linux: a capture printing it comes from Linux < this series (empty: still printed by the newest release read,\n")
	b.WriteString("#   or a mitigation name).\n")
	b.WriteString("name\tfirst\tlast\tkind\tmin_linux\tbelow_linux\n")
	for _, n := range names {
		var first, last *release
		kind := ""
		for i := range rels {
			if info, ok := rels[i].names[n]; ok {
				if first == nil {
					first = &rels[i]
				}
				last = &rels[i]
				kind = info.kind
			}
		}
		minLinux := ""
		// Every read release of an older series lacks it; a name first read
		// in a late stable release (patch 20 or more) may be a backport, so
		// it bounds nothing.
		if kind == "cpuid" && first.series != series[0] && first.ver[2] < lateStable {
			minLinux = first.series
		}
		below := ""
		if li := seriesIndex[last.series]; li+1 < len(series) && kind != "mitigation" {
			below = series[li+1]
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\n", n, first.name, last.name, kind, minLinux, below)
	}
	return []byte(b.String()), nil
}
