package cpumodels

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func (p *parser) vendor(n *node, file string) error {
	name, _ := n.attr("name")
	str, _ := n.attr("string")
	if name == "" || str == "" {
		return fmt.Errorf("%s: %s: <vendor> needs name and string attributes", p.source, file)
	}
	if _, dup := p.vendors[name]; dup {
		return fmt.Errorf("%s: %s: vendor %q defined twice", p.source, file, name)
	}
	p.vendors[name] = str
	return nil
}

func parseHex(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 32)
	return uint32(v), err
}

func (p *parser) feature(n *node, file string) error {
	name, _ := n.attr("name")
	if name == "" {
		return fmt.Errorf("%s: %s: <feature> without name", p.source, file)
	}
	if prev, dup := p.featFile[name]; dup {
		return fmt.Errorf("%s: %s: feature %q already defined in %s", p.source, file, name, prev)
	}
	f := Feature{Name: name, Migratable: true}
	for _, a := range n.Attrs {
		switch a.Name.Local {
		case "name":
		case "migratable":
			switch a.Value {
			case "no":
				f.Migratable = false
			case "yes":
			default:
				return fmt.Errorf("%s: %s: feature %s: migratable=%q, want yes or no", p.source, file, name, a.Value)
			}
		default:
			p.warn("%s: feature %s: ignored attribute %s", file, name, a.Name.Local)
		}
	}
	for i := range n.Nodes {
		c := &n.Nodes[i]
		switch c.XMLName.Local {
		case "alias":
			an, _ := c.attr("name")
			if an == "" {
				return fmt.Errorf("%s: %s: feature %s: <alias> without name", p.source, file, name)
			}
			f.Aliases = append(f.Aliases, an)
			if src, _ := c.attr("source"); src == "linux" {
				f.LinuxAliases = append(f.LinuxAliases, an)
			}
		case "cpuid", "msr":
			b := Bits{MSR: c.XMLName.Local == "msr"}
			for _, a := range c.Attrs {
				v, err := parseHex(a.Value)
				if err != nil {
					return fmt.Errorf("%s: %s: feature %s: <%s %s=%q>: %w", p.source, file, name, c.XMLName.Local, a.Name.Local, a.Value, err)
				}
				switch a.Name.Local {
				case "eax_in", "function", "index":
					b.Leaf = v
				case "ecx_in":
					b.Subleaf = v
				case "eax":
					b.EAX = v
				case "ebx":
					b.EBX = v
				case "ecx":
					b.ECX = v
				case "edx":
					b.EDX = v
				default:
					p.warn("%s: feature %s: ignored attribute %s", file, name, a.Name.Local)
				}
			}
			f.Bits = append(f.Bits, b)
			if b.MSR {
				f.MSR = true
			}
		default:
			p.warn("%s: feature %s: ignored element <%s>", file, name, c.XMLName.Local)
		}
	}
	slices.Sort(f.Aliases)
	slices.Sort(f.LinuxAliases)
	p.features[name] = f
	p.featFile[name] = file
	return nil
}

func yesNo(v, what string) (bool, error) {
	switch v {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, fmt.Errorf("%s=%q, want yes or no", what, v)
}

func onOff(v, what string) (bool, error) {
	switch v {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fmt.Errorf("%s=%q, want on or off", what, v)
}

// validStepping checks libvirt's stepping list syntax: "5", "5-7", "0,2-3".
func validStepping(s string) bool {
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, err := strconv.Atoi(a)
		if err != nil || lo < 0 || lo > 15 {
			return false
		}
		if isRange {
			hi, err := strconv.Atoi(b)
			if err != nil || hi < lo || hi > 15 {
				return false
			}
		}
	}
	return true
}

func (p *parser) model(n *node, file, group string) error {
	name, _ := n.attr("name")
	if name == "" {
		return fmt.Errorf("%s: %s: <model> without name", p.source, file)
	}
	if prev, dup := p.byName[name]; dup {
		return fmt.Errorf("%s: %s: model %q already defined in %s", p.source, file, name, prev.file)
	}
	m := &rawModel{name: name, file: file, group: group, decodeHost: true, decodeGuest: true}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s: model %s: %s", p.source, file, name, fmt.Sprintf(format, args...))
	}
	for i := range n.Nodes {
		c := &n.Nodes[i]
		switch c.XMLName.Local {
		case "model":
			pn, _ := c.attr("name")
			if pn == "" {
				return bad("parent <model> without name")
			}
			if m.parent != "" {
				return bad("two parent models (%s and %s)", m.parent, pn)
			}
			m.parent = pn
		case "vendor":
			v, _ := c.attr("name")
			if v == "" {
				return bad("<vendor> without name")
			}
			m.vendor = v
		case "signature":
			var s Signature
			for _, a := range c.Attrs {
				switch a.Name.Local {
				case "family", "model":
					v, err := strconv.Atoi(a.Value)
					if err != nil || v < 0 || v > 0xfff || (a.Name.Local == "family" && v == 0) {
						return bad("invalid signature %s=%q", a.Name.Local, a.Value)
					}
					if a.Name.Local == "family" {
						s.Family = v
					} else {
						s.Model = v
					}
				case "stepping":
					if !validStepping(a.Value) {
						return bad("invalid signature stepping=%q (want e.g. 5 or 5-7)", a.Value)
					}
					s.Stepping = a.Value
				default:
					p.warn("%s: model %s: ignored signature attribute %s", file, name, a.Name.Local)
				}
			}
			if _, ok := c.attr("model"); !ok || s.Family == 0 {
				return bad("<signature> needs family and model")
			}
			m.sigs = append(m.sigs, s)
		case "decode":
			for _, a := range c.Attrs {
				var err error
				switch a.Name.Local {
				case "host":
					m.decodeHost, err = onOff(a.Value, "decode host")
				case "guest":
					m.decodeGuest, err = onOff(a.Value, "decode guest")
				default:
					p.warn("%s: model %s: ignored decode attribute %s", file, name, a.Name.Local)
				}
				if err != nil {
					return bad("%v", err)
				}
			}
		case "check":
			for _, a := range c.Attrs {
				if a.Name.Local == "partial" {
					m.check = a.Value
				} else {
					p.warn("%s: model %s: ignored check attribute %s", file, name, a.Name.Local)
				}
			}
		case "feature":
			fn, _ := c.attr("name")
			if fn == "" {
				return bad("<feature> without name")
			}
			var added, removed bool
			for _, a := range c.Attrs {
				var err error
				switch a.Name.Local {
				case "name":
				case "added":
					added, err = yesNo(a.Value, "added")
				case "removed":
					removed, err = yesNo(a.Value, "removed")
				default:
					p.warn("%s: model %s: feature %s: ignored attribute %s", file, name, fn, a.Name.Local)
				}
				if err != nil {
					return bad("feature %s: %v", fn, err)
				}
			}
			switch {
			case removed:
				m.removed = append(m.removed, fn)
			case added:
				m.added = append(m.added, fn)
				m.features = append(m.features, fn)
			default:
				m.features = append(m.features, fn)
			}
		default:
			p.warn("%s: model %s: ignored element <%s>", file, name, c.XMLName.Local)
		}
	}
	p.models = append(p.models, m)
	p.byName[name] = m
	return nil
}
