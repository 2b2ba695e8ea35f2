package cpumodels

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// genFeature is one feature in the generated table.
type genFeature struct {
	n string // canonical name
	m bool   // true when migratable='no'
	a string // aliases, space-separated; "name:linux" for source='linux'
	b []Bits
}

// genModel is one model in the generated table, as written in its file
// (not expanded). Features are stored as a difference against an earlier
// model ("base") to keep the file small.
type genModel struct {
	n    string // name
	g    string // index.xml group
	v    string // own <vendor>
	p    string // parent <model>
	d    uint8  // bit 0: decode host, bit 1: decode guest
	c    string // <check partial>
	s    string // signatures "family:model[:stepping]", space-separated
	base string // earlier model whose feature tokens this one starts from
	add  string // tokens added to base's: "x", "+x" (added='yes'), "-x" (removed='yes')
	del  string // tokens of base to drop
}

// Builtin returns the catalog generated from libvirt's cpu_map (see
// zz_generated_catalog.go for the source and version). Each call returns a
// fresh copy the caller may modify.
func Builtin() *Catalog {
	return builtinOnce().Clone()
}

var builtinOnce = sync.OnceValue(func() *Catalog {
	c, err := decodeBuiltin(builtinSource, builtinVendors, builtinFeatures, builtinModels)
	if err != nil {
		// The generated data is checked by TestGeneratedIsFresh and
		// TestBuiltinMatchesReference; reaching this is a build defect.
		panic(fmt.Sprintf("cpumodels: generated catalog is corrupt: %v; run go generate ./internal/cpumodels", err))
	}
	return c
})

var builtinMSR = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, f := range builtinFeatures {
		if len(f.b) > 0 && f.b[0].MSR {
			out[f.n] = true
		}
	}
	return out
})

func builtinMSRNames() map[string]bool { return builtinMSR() }

// decodeBuiltin turns the generated tables back into raw definitions and
// expands them with the same code ParseFS uses.
func decodeBuiltin(source string, vendors [][2]string, feats []genFeature, models []genModel) (*Catalog, error) {
	p := &parser{
		source:   source,
		vendors:  map[string]string{},
		features: map[string]Feature{},
		featFile: map[string]string{},
		byName:   map[string]*rawModel{},
	}
	for _, v := range vendors {
		p.vendors[v[0]] = v[1]
	}
	for _, g := range feats {
		f := Feature{Name: g.n, Migratable: !g.m, Bits: g.b}
		for _, a := range strings.Fields(g.a) {
			name, src, _ := strings.Cut(a, ":")
			f.Aliases = append(f.Aliases, name)
			if src == "linux" {
				f.LinuxAliases = append(f.LinuxAliases, name)
			}
		}
		for _, b := range g.b {
			if b.MSR {
				f.MSR = true
			}
		}
		p.features[g.n] = f
		p.featFile[g.n] = "x86_features.xml"
	}
	tokens := map[string][]string{}
	for _, g := range models {
		var toks []string
		if g.base != "" {
			bt, ok := tokens[g.base]
			if !ok {
				return nil, fmt.Errorf("model %s: base %s not defined before it", g.n, g.base)
			}
			drop := map[string]bool{}
			for _, t := range strings.Fields(g.del) {
				drop[t] = true
			}
			for _, t := range bt {
				if !drop[t] {
					toks = append(toks, t)
				}
			}
		}
		toks = append(toks, strings.Fields(g.add)...)
		tokens[g.n] = toks
		r := &rawModel{
			name: g.n, file: "x86_" + g.n + ".xml", group: g.g, vendor: g.v, parent: g.p,
			decodeHost: g.d&1 != 0, decodeGuest: g.d&2 != 0, check: g.c,
		}
		for _, t := range toks {
			switch t[0] {
			case '+':
				r.added = append(r.added, t[1:])
				r.features = append(r.features, t[1:])
			case '-':
				r.removed = append(r.removed, t[1:])
			default:
				r.features = append(r.features, t)
			}
		}
		for _, s := range strings.Fields(g.s) {
			parts := strings.SplitN(s, ":", 3)
			if len(parts) < 2 {
				return nil, fmt.Errorf("model %s: bad signature %q", g.n, s)
			}
			fam, err1 := strconv.Atoi(parts[0])
			mod, err2 := strconv.Atoi(parts[1])
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("model %s: bad signature %q", g.n, s)
			}
			sig := Signature{Family: fam, Model: mod}
			if len(parts) == 3 {
				sig.Stepping = parts[2]
			}
			r.sigs = append(r.sigs, sig)
		}
		p.models = append(p.models, r)
		p.byName[r.name] = r
	}
	return p.build()
}
