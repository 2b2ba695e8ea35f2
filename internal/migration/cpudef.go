package migration

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// cpuDef is a parsed QEMU -cpu value: "MODEL,+flag,-flag,key=value,...".
type cpuDef struct {
	Model string
	Props map[string]any
}

var (
	modelRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	propRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// parseCPUDef parses a -cpu value as QEMU does for x86: the model first,
// then "+f" (on), "-f" (off), "f=on|off" or "key=value". "enforce" and
// "check" are accepted and left out (enforce is always added).
func parseCPUDef(s string) (cpuDef, error) {
	parts := strings.Split(s, ",")
	if !modelRe.MatchString(parts[0]) {
		return cpuDef{}, fmt.Errorf("CPU definition %q: the first item must be a QEMU CPU model name (e.g. Westmere,+aes)", s)
	}
	d := cpuDef{Model: parts[0], Props: map[string]any{}}
	for _, p := range parts[1:] {
		var key string
		var val any
		switch {
		case p == "enforce" || p == "check":
			continue
		case strings.HasPrefix(p, "+"):
			key, val = p[1:], true
		case strings.HasPrefix(p, "-"):
			key, val = p[1:], false
		case strings.Contains(p, "="):
			k, v, _ := strings.Cut(p, "=")
			key = k
			switch v {
			case "on", "true", "yes":
				val = true
			case "off", "false", "no":
				val = false
			default:
				if n, err := strconv.ParseInt(v, 0, 64); err == nil {
					val = n
				} else {
					val = v
				}
			}
		default:
			key, val = p, true
		}
		if !propRe.MatchString(key) {
			return cpuDef{}, fmt.Errorf("CPU definition %q: bad item %q; write +flag, -flag or key=value", s, p)
		}
		d.Props[key] = val
	}
	return d, nil
}

// notCPUIDFlags are boolean CPU properties of QEMU that are not guest-visible
// feature flags: comparing them between two sides says nothing about
// whether the guest could keep running.
var notCPUIDFlags = map[string]bool{
	"check": true, "enforce": true, "migratable": true, "pmu": true, "lmce": true,
	"legacy-cache": true, "vmware-cpuid-freq": true, "cpuid-0xb": true, "fill-mtrr-mask": true,
	"full-cpuid-auto-level": true, "host-phys-bits": true, "host-cache-info": true,
	"kvm-no-smi-migration": true, "kvm-pv-enforce-cpuid": true, "l3-cache": true,
	"x-intel-pt-auto-level": true, "x-force-features": true, "x-migrate-smi-count": true,
	"x-hv-synic-kvm-only": true, "x-hv-max-vps": true, "x-vendor-cpuid-only": true,
	"tcg-cpuid": true, "xen-vapic": true, "hv-passthrough": true, "hv-enforce-cpuid": true,
	"kvm": true, "start-powered-off": true,
}

// flagAliases are QEMU's x86 property aliases that differ by more than
// punctuation (target/i386/cpu.c, x86_cpu_initfn), alias to main name.
var flagAliases = map[string]string{
	"sse3": "pni", "pclmuldq": "pclmulqdq", "xd": "nx", "ffxsr": "fxsr-opt", "i64": "lm",
}

// canonicalFlag folds QEMU's aliases (sse4.1, sse4-1, sse4_1; sse3, pni)
// into one key.
func canonicalFlag(name string) string {
	if main, ok := flagAliases[name]; ok {
		name = main
	}
	return strings.NewReplacer("_", "-", ".", "-").Replace(name)
}

// lackedFlags returns the boolean features that are on in src and off or
// absent in dst, as expanded by query-cpu-model-expansion (type full),
// one name per feature (QEMU's dotted or dashed spelling), sorted.
func lackedFlags(src, dst map[string]any) []string {
	on := func(props map[string]any) map[string]string {
		m := map[string]string{}
		for k, v := range props {
			b, ok := v.(bool)
			if !ok || !b || notCPUIDFlags[k] || strings.HasPrefix(k, "x-") {
				continue
			}
			c := canonicalFlag(k)
			if prev, ok := m[c]; !ok || preferName(k, prev) {
				m[c] = k
			}
		}
		return m
	}
	s, d := on(src), on(dst)
	var out []string
	for c, name := range s {
		if _, ok := d[c]; !ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// preferName picks QEMU's main spelling among aliases: a dot (sse4.1) over
// a dash (sse4-1) over an underscore (sse4_1).
func preferName(a, b string) bool {
	rank := func(s string) int {
		switch {
		case flagAliases[s] != "":
			return 3
		case strings.Contains(s, "."):
			return 0
		case strings.Contains(s, "-"):
			return 1
		case strings.Contains(s, "_"):
			return 2
		}
		return 1
	}
	if rank(a) != rank(b) {
		return rank(a) < rank(b)
	}
	return a < b
}

// featureWord is one entry of an x86 vCPU's "feature-words" property.
type featureWord struct {
	EAX      uint32  `json:"cpuid-input-eax"`
	ECX      *uint32 `json:"cpuid-input-ecx,omitempty"`
	Register string  `json:"cpuid-register"`
	Features uint64  `json:"features"`
}

func (w featureWord) key() string {
	ecx := "-"
	if w.ECX != nil {
		ecx = strconv.FormatUint(uint64(*w.ECX), 10)
	}
	return fmt.Sprintf("%08x/%s/%s", w.EAX, ecx, w.Register)
}

// lackedBits returns the CPUID bits set in a src word and clear in the dst
// word, in QEMU's notation ("CPUID.01H:ECX[bit 25]").
func lackedBits(src, dst []featureWord) []string {
	d := map[string]uint64{}
	for _, w := range dst {
		d[w.key()] = w.Features
	}
	var out []string
	for _, w := range src {
		miss := w.Features &^ d[w.key()]
		for bit := 0; bit < 64; bit++ {
			if miss&(1<<bit) == 0 {
				continue
			}
			leaf := fmt.Sprintf("%02XH", w.EAX)
			if w.ECX != nil && *w.ECX != 0 {
				leaf += fmt.Sprintf(".%02XH", *w.ECX)
			}
			out = append(out, fmt.Sprintf("CPUID.%s:%s[bit %d]", leaf, w.Register, bit))
		}
	}
	slices.Sort(out)
	return out
}
