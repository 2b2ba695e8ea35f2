// Package fleetsynth builds a realistic fleet of hypervisor facts for
// benchmarks and scale tests: a handful of CPU generations of both vendors,
// each from one real capture in the reference samples, with a small share of
// hosts on a different microcode revision that changes their flags the way
// microcode updates do (TSX switched off, MD_CLEAR not yet enumerated, AMD
// speculation-control bits not yet enumerated).
//
// Every host's facts are what cpu_flags_facts computes for the modified
// capture (hostfacts.FromCPU), so names, exclusions and derivations stay
// consistent. No libvirt answers are made up: the hosts carry the cpuinfo
// view, as captured files do.
package fleetsynth

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
)

// Generation is one CPU generation of the fleet.
type Generation struct {
	// Name is the short name used in host names (hv-NAME-00001).
	Name string
	// Sample is the capture's file name in the reference samples.
	Sample string
	// Weight is the generation's share of the fleet (relative).
	Weight int
}

// DefaultFleet is four Intel generations and two AMD ones, weighted like a
// cloud that buys a generation every few years and retires the oldest.
var DefaultFleet = []Generation{
	{"bdw", "intel-xeon-e5-2690v4-broadwell-ep.cpuinfo", 10},
	{"clx", "intel-xeon-gold-6230-cascadelake.cpuinfo", 30},
	{"icx", "intel-xeon-platinum-8375c-icelake-sp-awsmetal.lscpu.json", 25},
	{"spr", "intel-xeon-platinum-8480plus-sapphirerapids.cpuinfo", 20},
	{"milan", "amd-epyc-7443p-milan-baremetal.lscpu.json", 10},
	{"genoa", "amd-epyc-9654-genoa.cpuinfo", 5},
}

// Options shape the fleet.
type Options struct {
	// Hosts is the fleet size.
	Hosts int
	// Seed makes the fleet reproducible.
	Seed int64
	// Microcode is the share of hosts on another microcode revision
	// (0.02 when zero; negative for none).
	Microcode float64
	// Generations defaults to DefaultFleet.
	Generations []Generation
}

// Host is one synthetic hypervisor.
type Host struct {
	Name       string
	Generation string
	Facts      *hostfacts.Facts
}

// microcodeVariant describes what another microcode revision changes.
type microcodeVariant struct {
	name  string
	drop  []string // Linux flags it does not enumerate
	delta int      // revision offset
}

// variants returns the microcode variants that apply to a CPU: Intel parts
// with TSX get the update that switches TSX off (hle, rtm gone; TAA
// mitigation), Intel parts with MD_CLEAR get an older revision without it,
// AMD parts get an older revision without the speculation-control bits.
func variants(cpu *cpuinfo.CPU) []microcodeVariant {
	has := func(f string) bool { return slices.Contains(cpu.Flags, f) }
	var out []microcodeVariant
	switch cpu.Vendor {
	case featnames.VendorIntel:
		if has("hle") || has("rtm") {
			out = append(out, microcodeVariant{"tsx-off", []string{"hle", "rtm"}, +0x10})
		}
		if has("md_clear") {
			out = append(out, microcodeVariant{"pre-mds", []string{"md_clear", "flush_l1d"}, -0x20})
		}
	case featnames.VendorAMD, featnames.VendorHygon:
		out = append(out, microcodeVariant{"pre-ibpb", []string{"ibpb", "ibrs", "stibp"}, -0x40})
	}
	return out
}

type template struct {
	gen      Generation
	base     *hostfacts.Facts
	variants []microcodeVariant
	varied   []*hostfacts.Facts
}

// Generate builds opts.Hosts hosts from the samples in refSamples (the
// reference data's samples directory). Hosts that share a generation and a
// microcode revision share one *hostfacts.Facts: callers must not modify it.
func Generate(refSamples string, opts Options) ([]Host, error) {
	gens := opts.Generations
	if len(gens) == 0 {
		gens = DefaultFleet
	}
	share := opts.Microcode
	if share == 0 {
		share = 0.02
	}
	if opts.Hosts < 0 {
		return nil, fmt.Errorf("fleet size %d: give a positive number of hosts", opts.Hosts)
	}
	table := featnames.Builtin()
	var tmpls []*template
	total := 0
	for _, g := range gens {
		path := filepath.Join(refSamples, g.Sample)
		cpu, err := cpuinfo.ReadFile(path, "")
		if err != nil {
			return nil, fmt.Errorf("fleet generation %s: %w", g.Name, err)
		}
		t := &template{gen: g, base: hostfacts.FromCPU(path, cpu, table), variants: variants(cpu)}
		for _, v := range t.variants {
			c := *cpu
			c.Flags = slices.DeleteFunc(slices.Clone(cpu.Flags), func(f string) bool { return slices.Contains(v.drop, f) })
			c.Microcode = shiftMicrocode(cpu.Microcode, v.delta)
			t.varied = append(t.varied, hostfacts.FromCPU(path+" ("+v.name+" microcode)", &c, table))
		}
		tmpls = append(tmpls, t)
		total += g.Weight
	}
	if total <= 0 {
		return nil, fmt.Errorf("fleet generations have no weight")
	}
	rng := rand.New(rand.NewSource(opts.Seed))
	hosts := make([]Host, 0, opts.Hosts)
	counts := make([]int, len(tmpls))
	for i := 0; i < opts.Hosts; i++ {
		pick := rng.Intn(total)
		k := 0
		for ; pick >= tmpls[k].gen.Weight; k++ {
			pick -= tmpls[k].gen.Weight
		}
		t := tmpls[k]
		f := t.base
		if len(t.varied) > 0 && rng.Float64() < share {
			f = t.varied[rng.Intn(len(t.varied))]
		}
		counts[k]++
		hosts = append(hosts, Host{Name: fmt.Sprintf("hv-%s-%05d", t.gen.Name, counts[k]), Generation: t.gen.Name, Facts: f})
	}
	return hosts, nil
}

// shiftMicrocode offsets a hex revision ("0x5000021"); "" when unknown
// becomes a made-up revision so the variation shows in the facts.
func shiftMicrocode(rev string, delta int) string {
	var n int64
	if _, err := fmt.Sscanf(strings.TrimPrefix(rev, "0x"), "%x", &n); err != nil || rev == "" {
		n = 0x1000
	}
	n += int64(delta)
	if n < 1 {
		n = 1
	}
	return fmt.Sprintf("0x%x", n)
}

// WriteDir writes one facts JSON file per host into dir, named
// HOST.json, as the gather role's output directory holds them.
func WriteDir(dir string, hosts []Host) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fleet directory: %w", err)
	}
	cache := map[*hostfacts.Facts][]byte{}
	for _, h := range hosts {
		data, ok := cache[h.Facts]
		if !ok {
			var err error
			data, err = json.MarshalIndent(h.Facts, "", "    ")
			if err != nil {
				return fmt.Errorf("encode the facts of %s: %w", h.Name, err)
			}
			data = append(data, '\n')
			cache[h.Facts] = data
		}
		if err := os.WriteFile(filepath.Join(dir, h.Name+".json"), data, 0o644); err != nil {
			return fmt.Errorf("write the facts of %s: %w", h.Name, err)
		}
	}
	return nil
}
