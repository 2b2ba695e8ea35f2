// Package x86level computes the x86-64 psABI microarchitecture level
// (x86-64-v1..v4) of a CPU from its libvirt feature names.
//
// The level sets follow the x86-64 psABI (gitlab.com/x86-psABIs/x86-64-ABI),
// written in libvirt names:
//
//	v1: cmov cx8 fpu fxsr mmx syscall sse sse2 (OSFXSR is OS state: fxsr stands in)
//	v2: + cx16 lahf_lm popcnt pni ssse3 sse4.1 sse4.2
//	v3: + avx avx2 bmi1 bmi2 f16c fma abm movbe xsave
//	v4: + avx512f avx512bw avx512cd avx512dq avx512vl
//
// LZCNT is CPUID 0x80000001 ECX[5], which libvirt (and Linux) call abm.
// The psABI requires OSXSAVE for v3; OSXSAVE is set by the running OS, never
// requested for a guest, so xsave (the CPU capability) stands in for it.
// AES-NI and RDRAND are in no level.
package x86level

import (
	"fmt"
	"sort"
)

// Result is the highest level whose features are all present.
type Result struct {
	Level          int      `json:"level"`                      // 0: not even v1
	Name           string   `json:"name"`                       // "x86-64-v3"; "" for level 0
	MissingForNext []string `json:"missing_for_next,omitempty"` // sorted; empty at v4
}

// MaxLevel is the highest level defined.
const MaxLevel = 4

// levels[i] holds the features added by level i+1.
var levels = [MaxLevel][]string{
	{"cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"},
	{"cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4.1", "sse4.2"},
	{"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"},
	{"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}

// Name returns "x86-64-vN" for level 1..4 and "" otherwise.
func Name(level int) string {
	if level < 1 || level > MaxLevel {
		return ""
	}
	return fmt.Sprintf("x86-64-v%d", level)
}

// Features returns the libvirt features level requires (cumulative), sorted.
// It returns nil for a level outside 1..4.
func Features(level int) []string {
	if level < 1 || level > MaxLevel {
		return nil
	}
	var out []string
	for i := 0; i < level; i++ {
		out = append(out, levels[i]...)
	}
	sort.Strings(out)
	return out
}

// FromFeatures returns the level of a CPU given its libvirt feature names.
func FromFeatures(libvirtFeatures []string) Result {
	have := make(map[string]bool, len(libvirtFeatures))
	for _, f := range libvirtFeatures {
		have[f] = true
	}
	level := 0
	for level < MaxLevel {
		if len(missing(have, level)) > 0 {
			break
		}
		level++
	}
	r := Result{Level: level, Name: Name(level)}
	if level < MaxLevel {
		// Missing for the next level includes gaps of lower levels too; a
		// CPU at level n has none below n+1 by definition.
		r.MissingForNext = missing(have, level)
	}
	return r
}

func missing(have map[string]bool, idx int) []string {
	var out []string
	for _, f := range levels[idx] {
		if !have[f] {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}
