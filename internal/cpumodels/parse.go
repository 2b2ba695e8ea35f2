package cpumodels

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
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
