package cpumodels

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Limits that keep hostile input from exhausting memory or time.
const (
	maxIncludeDepth = 16
	maxFiles        = 4096
	maxFileSize     = 16 << 20
)

// LoadDir parses the cpu_map directory dir (e.g. /usr/share/libvirt/cpu_map
// on a hypervisor). dir may also name a monolithic cpu_map.xml file.
func LoadDir(dir string) (*Catalog, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load libvirt cpu_map %s: %w (pass the directory holding index.xml, usually /usr/share/libvirt/cpu_map)", dir, err)
	}
	if !st.IsDir() {
		c, err := parseRoot(os.DirFS(filepath.Dir(dir)), filepath.Base(dir), dir)
		if err != nil {
			return nil, fmt.Errorf("load libvirt cpu_map %s: %w", dir, err)
		}
		return c, nil
	}
	c, err := ParseFS(os.DirFS(dir), dir)
	if err != nil {
		return nil, fmt.Errorf("load libvirt cpu_map %s: %w", dir, err)
	}
	return c, nil
}

// LoadFeatures parses only the vendor and feature definitions of the
// cpu_map directory dir (x86_vendors.xml, x86_features.xml and what they
// include), not the model files: what a host's feature names need, at a
// fraction of LoadDir's cost. A cpu_map that keeps its features elsewhere
// (none found this way) is loaded whole.
func LoadFeatures(dir string) (*Catalog, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return LoadDir(dir)
	}
	fsys := os.DirFS(dir)
	if _, err := fs.Stat(fsys, "index.xml"); err != nil {
		return LoadDir(dir)
	}
	p := &parser{
		fsys: fsys, source: dir, featuresOnly: true,
		vendors: map[string]string{}, features: map[string]Feature{}, featFile: map[string]string{}, byName: map[string]*rawModel{},
	}
	if err := p.include("index.xml", ""); err != nil {
		return nil, fmt.Errorf("load libvirt cpu_map %s: %w", dir, err)
	}
	if len(p.features) == 0 {
		return LoadDir(dir)
	}
	c, err := p.build()
	if err != nil {
		return nil, fmt.Errorf("load libvirt cpu_map %s: %w", dir, err)
	}
	return c, nil
}

// ParseFS parses a cpu_map directory: index.xml (or, failing that, a
// monolithic cpu_map.xml) at the root of fsys and the files it includes.
// source names the data in Catalog.Source and error messages.
func ParseFS(fsys fs.FS, source string) (*Catalog, error) {
	root := "index.xml"
	if _, err := fs.Stat(fsys, root); err != nil {
		if _, err2 := fs.Stat(fsys, "cpu_map.xml"); err2 != nil {
			return nil, fmt.Errorf("%s: no index.xml or cpu_map.xml: %w (is this a libvirt cpu_map directory?)", source, err)
		}
		root = "cpu_map.xml"
	}
	return parseRoot(fsys, root, source)
}

// rawModel is a model as written in its file, before expansion.
type rawModel struct {
	name, file, group string
	vendor, parent    string
	features          []string // plain and added, in file order
	added, removed    []string
	sigs              []Signature
	decodeHost        bool
	decodeGuest       bool
	check             string
}

// parser accumulates the definitions of one cpu_map.
type parser struct {
	fsys     fs.FS
	source   string
	files    int
	stack    []string
	vendors  map[string]string
	features map[string]Feature
	featFile map[string]string
	models   []*rawModel
	byName   map[string]*rawModel
	warnings []string
	// featuresOnly follows only the includes that define vendors and
	// features (x86_vendors.xml, x86_features.xml), not the model files.
	featuresOnly bool
}

// node is a generic XML element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

func parseRoot(fsys fs.FS, root, source string) (*Catalog, error) {
	p := &parser{
		fsys:     fsys,
		source:   source,
		vendors:  map[string]string{},
		features: map[string]Feature{},
		featFile: map[string]string{},
		byName:   map[string]*rawModel{},
	}
	if err := p.include(root, ""); err != nil {
		return nil, err
	}
	return p.build()
}

// decodeXML parses one file into its root element.
func decodeXML(name string, data []byte) (*node, error) {
	var root node
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: malformed XML: %w", name, err)
	}
	if root.XMLName.Local != "cpus" {
		return nil, fmt.Errorf("%s: root element is <%s>, want <cpus> (not a libvirt cpu_map file)", name, root.XMLName.Local)
	}
	return &root, nil
}

// include reads and walks one file.
func (p *parser) include(name, group string) error {
	if slices.Contains(p.stack, name) {
		return fmt.Errorf("%s: include loop: %s -> %s; remove the recursive <include>", p.source, strings.Join(p.stack, " -> "), name)
	}
	if len(p.stack) >= maxIncludeDepth {
		return fmt.Errorf("%s: includes nested deeper than %d at %s", p.source, maxIncludeDepth, name)
	}
	p.files++
	if p.files > maxFiles {
		return fmt.Errorf("%s: more than %d included files", p.source, maxFiles)
	}
	data, err := readLimited(p.fsys, name)
	if err != nil {
		if len(p.stack) > 0 {
			return fmt.Errorf("%s: %s includes missing or unreadable %s: %w", p.source, p.stack[len(p.stack)-1], name, err)
		}
		return fmt.Errorf("%s: read %s: %w", p.source, name, err)
	}
	root, err := decodeXML(name, data)
	if err != nil {
		return fmt.Errorf("%s: %w", p.source, err)
	}
	p.stack = append(p.stack, name)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()
	return p.walk(root, name, group, false)
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	st, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", name)
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxFileSize)
	}
	return fs.ReadFile(fsys, name)
}

// walk handles the children of <cpus>, <arch> or <group>.
func (p *parser) walk(n *node, file, group string, inArch bool) error {
	for i := range n.Nodes {
		c := &n.Nodes[i]
		switch c.XMLName.Local {
		case "arch":
			name, ok := c.attr("name")
			if !ok {
				return fmt.Errorf("%s: %s: <arch> without name", p.source, file)
			}
			if name != "x86" {
				continue
			}
			if err := p.walk(c, file, group, true); err != nil {
				return err
			}
		case "group":
			g, _ := c.attr("name")
			if err := p.walk(c, file, g, inArch); err != nil {
				return err
			}
		case "include":
			fn, ok := c.attr("filename")
			if !ok || fn == "" {
				return fmt.Errorf("%s: %s: <include> without filename", p.source, file)
			}
			target := path.Join(path.Dir(file), fn)
			if !fs.ValidPath(target) || path.IsAbs(fn) || strings.Contains(fn, "..") {
				return fmt.Errorf("%s: %s: include %q leaves the cpu_map directory", p.source, file, fn)
			}
			if base := path.Base(fn); p.featuresOnly && !strings.Contains(base, "features") && !strings.Contains(base, "vendors") {
				continue
			}
			if err := p.include(target, group); err != nil {
				return err
			}
		case "vendor":
			if err := p.vendor(c, file); err != nil {
				return err
			}
		case "feature":
			if err := p.feature(c, file); err != nil {
				return err
			}
		case "model":
			if err := p.model(c, file, group); err != nil {
				return err
			}
		default:
			p.warn("%s: ignored unknown element <%s>", file, c.XMLName.Local)
		}
	}
	return nil
}

func (p *parser) warn(format string, args ...any) {
	if len(p.warnings) < 100 {
		p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
	}
}

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
