package cpumodels

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// errCycle marks a parent cycle.
var errCycle = errors.New("model parent cycle")

// build expands all models.
func (p *parser) build() (*Catalog, error) {
	c := &Catalog{
		Source:   p.source,
		Features: p.features,
		Models:   make(map[string]*Model, len(p.models)),
		Vendors:  p.vendors,
		Warnings: p.warnings,
	}
	c.index()
	msr := map[string]bool{}
	for name, f := range p.features {
		if f.MSR {
			msr[name] = true
		}
	}
	state := map[string]int{} // 1 = in progress, 2 = done
	var resolve func(r *rawModel, chain []string) (*Model, error)
	resolve = func(r *rawModel, chain []string) (*Model, error) {
		switch state[r.name] {
		case 2:
			return c.Models[r.name], nil
		case 1:
			return nil, fmt.Errorf("%s: %w: %s -> %s; fix the <model name=…/> references", p.source, errCycle, strings.Join(chain, " -> "), r.name)
		}
		state[r.name] = 1
		chain = append(chain, r.name)
		m := &Model{
			Name:         r.name,
			Group:        r.group,
			Vendor:       r.vendor,
			Parent:       r.parent,
			DecodeHost:   r.decodeHost,
			DecodeGuest:  r.decodeGuest,
			CheckPartial: r.check,
			Signatures:   slices.Clone(r.sigs),
			msr:          msr,
		}
		set := map[string]bool{}
		added := map[string]bool{}
		removed := map[string]bool{}
		if r.parent != "" {
			pr, ok := p.byName[r.parent]
			if !ok {
				return nil, fmt.Errorf("%s: %s: model %s: parent model %q is not defined", p.source, r.file, r.name, r.parent)
			}
			pm, err := resolve(pr, chain)
			if err != nil {
				return nil, err
			}
			for _, f := range pm.Features {
				set[f] = true
			}
			for _, f := range pm.Added {
				added[f] = true
			}
			for _, f := range pm.Removed {
				removed[f] = true
			}
			if m.Vendor == "" {
				m.Vendor = pm.Vendor
			}
			if len(m.Signatures) == 0 {
				m.Signatures = slices.Clone(pm.Signatures)
			}
			if len(r.features) == 0 && len(r.removed) == 0 && r.vendor == "" && len(r.sigs) == 0 {
				m.AliasOf = r.parent
			}
		}
		canon := func(f string) (string, error) {
			name, ok := c.alias[f]
			if !ok {
				return "", fmt.Errorf("%s: %s: model %s uses feature %q, which x86_features.xml does not define (a cpu_map from a newer libvirt needs its own x86_features.xml)", p.source, r.file, r.name, f)
			}
			return name, nil
		}
		for _, f := range r.features {
			cf, err := canon(f)
			if err != nil {
				return nil, err
			}
			set[cf] = true
			delete(removed, cf)
		}
		for _, f := range r.added {
			cf, _ := canon(f)
			added[cf] = true
		}
		for _, f := range r.removed {
			cf, err := canon(f)
			if err != nil {
				return nil, err
			}
			delete(set, cf)
			delete(added, cf)
			removed[cf] = true
		}
		if m.Vendor != "" {
			if _, ok := p.vendors[m.Vendor]; !ok {
				return nil, fmt.Errorf("%s: %s: model %s: unknown vendor %q (not in x86_vendors.xml)", p.source, r.file, r.name, m.Vendor)
			}
		}
		m.Features = sortedKeys(set)
		m.Added = sortedKeys(added)
		m.Removed = sortedKeys(removed)
		c.Models[r.name] = m
		state[r.name] = 2
		return m, nil
	}
	for _, r := range p.models {
		if _, err := resolve(r, nil); err != nil {
			return nil, err
		}
		c.Order = append(c.Order, r.name)
	}
	c.index()
	return c, nil
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
