package cputest

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

type cpuidKey struct{ leaf, sub uint32 }

type CPUData struct {
	cpuid map[cpuidKey]map[string]uint32 // reg name (EAX..EDX) -> value
	msr   map[uint32]uint64
}

var (
	reCPUID = regexp.MustCompile(`<cpuid eax_in='(0x[0-9a-fA-F]+)' ecx_in='(0x[0-9a-fA-F]+)' eax='(0x[0-9a-fA-F]+)' ebx='(0x[0-9a-fA-F]+)' ecx='(0x[0-9a-fA-F]+)' edx='(0x[0-9a-fA-F]+)'/>`)
	reMSR   = regexp.MustCompile(`<msr index='(0x[0-9a-fA-F]+)' edx='(0x[0-9a-fA-F]+)' eax='(0x[0-9a-fA-F]+)'/>`)
)

func hex32(t testing.TB, s string) uint32 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 32)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return uint32(v)
}

func ReadCPUData(t testing.TB, path string) CPUData {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	d := CPUData{cpuid: map[cpuidKey]map[string]uint32{}, msr: map[uint32]uint64{}}
	for _, m := range reCPUID.FindAllStringSubmatch(string(b), -1) {
		d.cpuid[cpuidKey{hex32(t, m[1]), hex32(t, m[2])}] = map[string]uint32{
			"EAX": hex32(t, m[3]), "EBX": hex32(t, m[4]), "ECX": hex32(t, m[5]), "EDX": hex32(t, m[6])}
	}
	for _, m := range reMSR.FindAllStringSubmatch(string(b), -1) {
		d.msr[hex32(t, m[1])] = uint64(hex32(t, m[2]))<<32 | uint64(hex32(t, m[3]))
	}
	if len(d.cpuid) == 0 && len(d.msr) == 0 {
		t.Fatalf("%s: no <cpuid> or <msr> entries", path)
	}
	return d
}

func (d CPUData) bit(leaf, sub uint32, reg string, bit int) bool {
	regs, ok := d.cpuid[cpuidKey{leaf, sub}]
	return ok && regs[reg]>>uint(bit)&1 == 1
}
