package baseline

import (
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	bits64 "math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Views a Host's Features can come from (the same strings as hostfacts'
// trusted views; clusterrun's tests hold them equal).
const (
	ViewLibvirt = "libvirt"
	ViewCPUInfo = "cpuinfo"
)

// Host is one hypervisor (or the test instance) as the baseline sees it.
type Host struct {
	// Name identifies the host; it must be unique within an Accumulator.
	Name string `json:"name"`
	// Group is the inventory group (source, target, a generation...); ""
	// makes the host a group of its own for the artifacts.
	Group     string `json:"group,omitempty"`
	Vendor    string `json:"vendor"`
	ModelName string `json:"model_name,omitempty"`
	// View is where Features came from: ViewLibvirt or ViewCPUInfo ("" is
	// treated as ViewCPUInfo).
	View string `json:"view"`
	// Features are the trusted features, libvirt names.
	Features []string `json:"features"`
	// LinuxFlags are the Linux flags (for the brief's artifacts).
	LinuxFlags []string `json:"linux_flags,omitempty"`
	// LibvirtModels is the model usability the host's libvirt reported
	// (domcapabilities custom mode); nil when libvirt was not asked.
	LibvirtModels []ModelUsability `json:"libvirt_models,omitempty"`
}

// ModelUsability is what a host's libvirt said about one named CPU model
// (domcapabilities custom mode), as far as the model choice needs it.
type ModelUsability struct {
	// Name is the model name, e.g. "Westmere".
	Name string `json:"name"`
	// Usable is yes, no or unknown.
	Usable string `json:"usable"`
	// Deprecated is true when libvirt marks the model deprecated='yes'.
	Deprecated bool `json:"deprecated,omitempty"`
	// Blockers are the features that make the model unusable, when libvirt
	// lists them.
	Blockers []string `json:"blockers,omitempty"`
}

// Accumulator holds the cumulative intersection of any number of hosts. The
// result does not depend on the order of Add calls. Hosts whose description
// is identical (view, vendor, CPU model name, features, Linux flags and
// libvirt's model usability) share one host class: the intersection, the
// model fit and the blockers are computed per class, each class's features
// being a bitset over the accumulator's feature table, so adding a host
// costs time proportional to its features and the rest proportional to the
// number of classes, not hosts. The zero value is ready to use.
type Accumulator struct {
	hosts   []Host // Features, LinuxFlags, LibvirtModels shared with the class
	classOf []int32
	index   map[string]int
	classes []*class
	byHash  map[uint64][]int32
	feats   table // libvirt feature names
	linux   table // Linux flag names
	sorted  []int // host indexes by name, built on demand
}

// class is one host class: the hosts sharing one description.
type class struct {
	view, vendor, modelName string
	features, linuxFlags    []string
	libvirtModels           []ModelUsability
	feat, lin               bits
	members                 []int          // host indexes, in Add order
	usable                  map[string]int // lower-case model name -> index in libvirtModels
}

// table numbers names in the order first seen.
type table struct {
	idx   map[string]int
	names []string
}

func (t *table) id(name string) int {
	if t.idx == nil {
		t.idx = map[string]int{}
	}
	i, ok := t.idx[name]
	if !ok {
		i = len(t.names)
		t.idx[name] = i
		t.names = append(t.names, name)
	}
	return i
}

func (t *table) set(names []string) bits {
	var b bits
	for _, n := range names {
		b.set(t.id(n))
	}
	return b
}

// list returns the names of b's members, sorted.
func (t *table) list(b bits) []string {
	out := []string{}
	b.each(func(i int) { out = append(out, t.names[i]) })
	sort.Strings(out)
	return out
}

// bits is a growable bitset.
type bits []uint64

func (b *bits) set(i int) {
	w := i / 64
	for len(*b) <= w {
		*b = append(*b, 0)
	}
	(*b)[w] |= 1 << uint(i%64)
}

func (b bits) has(i int) bool {
	w := i / 64
	return w < len(b) && b[w]&(1<<uint(i%64)) != 0
}

func (b bits) each(fn func(int)) {
	for w, word := range b {
		for word != 0 {
			t := bits64.TrailingZeros64(word)
			fn(w*64 + t)
			word &= word - 1
		}
	}
}

// and returns b ∩ o (a new set).
func (b bits) and(o bits) bits {
	n := min(len(b), len(o))
	out := make(bits, n)
	for i := 0; i < n; i++ {
		out[i] = b[i] & o[i]
	}
	return out
}

// andNot returns b − o (a new set).
func (b bits) andNot(o bits) bits {
	out := slices.Clone(b)
	for i := range out {
		if i < len(o) {
			out[i] &^= o[i]
		}
	}
	return out
}

func (b bits) or(o bits) bits {
	out := slices.Clone(b)
	for len(out) < len(o) {
		out = append(out, 0)
	}
	for i, w := range o {
		out[i] |= w
	}
	return out
}

// ErrDuplicateHost is wrapped by Add's error for a host name added twice.
var ErrDuplicateHost = errors.New("duplicate host")

var hashSeed = maphash.MakeSeed()

// Add adds one host. Feature and flag names are trimmed; blanks and
// duplicates are ignored. A host without a name, or whose name was already
// added, is an error naming it. Add keeps no reference to h's slices.
func (a *Accumulator) Add(h Host) error {
	return a.add(h, func(h Host) int {
		feats, lin := normalizedView(h.Features), normalizedView(h.LinuxFlags)
		return a.classFor(h, feats, lin)
	})
}

// add checks and trims h, then records it in the class classOf finds.
func (a *Accumulator) add(h Host, classOf func(Host) int) error {
	name := strings.TrimSpace(h.Name)
	if name == "" {
		return fmt.Errorf("add host: the host has no name (model %q); give every host a unique name", h.ModelName)
	}
	if a.index == nil {
		a.index = map[string]int{}
		a.byHash = map[uint64][]int32{}
	}
	if _, dup := a.index[name]; dup {
		return fmt.Errorf("add host %s: %w: a host of that name was already added; give each host a unique name", name, ErrDuplicateHost)
	}
	h.Name = name
	h.Group = strings.TrimSpace(h.Group)
	if h.View == "" {
		h.View = ViewCPUInfo
	}
	return a.addTo(h, classOf(h))
}

// AddSame adds a host whose CPU description is that of the host named as,
// added before (hosts whose facts are one document): only its name and
// group are its own. It costs no feature comparison.
func (a *Accumulator) AddSame(name, group, as string) error {
	j, ok := a.index[strings.TrimSpace(as)]
	if !ok {
		return fmt.Errorf("add host %s like %s: no host %s was added", name, as, as)
	}
	h := a.hosts[j]
	h.Name, h.Group = name, group
	return a.add(h, func(Host) int { return int(a.classOf[j]) })
}

// addTo records h (already checked and trimmed) in class ci.
func (a *Accumulator) addTo(h Host, ci int) error {
	c := a.classes[ci]
	h.Features, h.LinuxFlags, h.LibvirtModels = c.features, c.linuxFlags, c.libvirtModels
	i := len(a.hosts)
	a.hosts = append(a.hosts, h)
	a.classOf = append(a.classOf, int32(ci))
	a.index[h.Name] = i
	c.members = append(c.members, i)
	a.sorted = nil
	return nil
}

// normalizedView returns in when it is already sorted, trimmed and free of
// blanks and duplicates (the usual case: facts are written so), else a
// normalized copy. The caller must not keep the result without copying.
func normalizedView(in []string) []string {
	for i, s := range in {
		if s == "" || (i > 0 && in[i-1] >= s) || s[0] == ' ' || s[len(s)-1] == ' ' || strings.TrimSpace(s) != s {
			return normalize(in)
		}
	}
	return in
}

// classFor finds or creates the class of h (with normalized feats, lin).
func (a *Accumulator) classFor(h Host, feats, lin []string) int {
	var hs maphash.Hash
	hs.SetSeed(hashSeed)
	for _, part := range []string{h.View, h.Vendor, h.ModelName} {
		hs.WriteString(part)
		hs.WriteByte(0)
	}
	for _, list := range [][]string{feats, lin} {
		for _, f := range list {
			hs.WriteString(f)
			hs.WriteByte(1)
		}
		hs.WriteByte(2)
	}
	for _, m := range h.LibvirtModels {
		hs.WriteString(m.Name)
		hs.WriteString(m.Usable)
		hs.WriteByte(3)
	}
	key := hs.Sum64()
	for _, ci := range a.byHash[key] {
		c := a.classes[ci]
		if c.view == h.View && c.vendor == h.Vendor && c.modelName == h.ModelName &&
			slices.Equal(c.features, feats) && slices.Equal(c.linuxFlags, lin) &&
			slices.EqualFunc(c.libvirtModels, h.LibvirtModels, equalUsability) {
			return int(ci)
		}
	}
	c := &class{
		view: h.View, vendor: h.Vendor, modelName: h.ModelName,
		features: slices.Clone(feats), linuxFlags: slices.Clone(lin),
	}
	for _, m := range h.LibvirtModels {
		m.Blockers = slices.Clone(m.Blockers)
		c.libvirtModels = append(c.libvirtModels, m)
	}
	c.feat = a.feats.set(c.features)
	c.lin = a.linux.set(c.linuxFlags)
	ci := len(a.classes)
	a.classes = append(a.classes, c)
	a.byHash[key] = append(a.byHash[key], int32(ci))
	return ci
}

func equalUsability(x, y ModelUsability) bool {
	return x.Name == y.Name && x.Usable == y.Usable && x.Deprecated == y.Deprecated && slices.Equal(x.Blockers, y.Blockers)
}

// normalize trims, drops blanks and duplicates, and sorts (on a copy).
func normalize(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// Len returns the number of hosts added.
func (a *Accumulator) Len() int { return len(a.hosts) }

// byName returns the host indexes sorted by host name (cached).
func (a *Accumulator) byName() []int {
	if a.sorted == nil {
		a.sorted = make([]int, len(a.hosts))
		for i := range a.sorted {
			a.sorted[i] = i
		}
		sort.Slice(a.sorted, func(i, j int) bool { return a.hosts[a.sorted[i]].Name < a.hosts[a.sorted[j]].Name })
	}
	return a.sorted
}

// Hosts returns the hosts added, sorted by name (copies of the slices'
// headers; do not modify their contents).
func (a *Accumulator) Hosts() []Host {
	out := make([]Host, len(a.hosts))
	for k, i := range a.byName() {
		out[k] = a.hosts[i]
	}
	return out
}

// Clone returns an independent copy (e.g. to try adding a host).
func (a *Accumulator) Clone() *Accumulator {
	if a.index == nil {
		return &Accumulator{}
	}
	out := &Accumulator{
		hosts: slices.Clone(a.hosts), classOf: slices.Clone(a.classOf),
		index: maps.Clone(a.index), byHash: make(map[uint64][]int32, len(a.byHash)),
		feats: a.feats.clone(), linux: a.linux.clone(),
	}
	for k, v := range a.byHash {
		out.byHash[k] = slices.Clone(v)
	}
	for _, c := range a.classes {
		cc := *c
		cc.members = slices.Clone(c.members)
		out.classes = append(out.classes, &cc)
	}
	return out
}

func (t table) clone() table {
	return table{idx: maps.Clone(t.idx), names: slices.Clone(t.names)}
}

// commonBits returns the intersection of the classes' sets chosen by pick
// over the classes in cls (all classes when cls is nil).
func (a *Accumulator) commonBits(cls []int, pick func(*class) bits) (bits, bool) {
	var out bits
	first := true
	visit := func(c *class) {
		if first {
			out, first = slices.Clone(pick(c)), false
			return
		}
		out = out.and(pick(c))
	}
	if cls == nil {
		for _, c := range a.classes {
			visit(c)
		}
	} else {
		for _, ci := range cls {
			visit(a.classes[ci])
		}
	}
	return out, !first
}

func featsOf(c *class) bits { return c.feat }
func linOf(c *class) bits   { return c.lin }

// Common returns the exact intersection of the hosts' features, sorted; an
// empty (non-nil) slice when no host was added.
func (a *Accumulator) Common() []string {
	b, ok := a.commonBits(nil, featsOf)
	if !ok {
		return []string{}
	}
	return a.feats.list(b)
}

// CommonLinux returns the exact intersection of the hosts' Linux flags.
func (a *Accumulator) CommonLinux() []string {
	b, ok := a.commonBits(nil, linOf)
	if !ok {
		return []string{}
	}
	return a.linux.list(b)
}

// union returns the union of all classes' features.
func (a *Accumulator) union() bits {
	var u bits
	for _, c := range a.classes {
		u = u.or(c.feat)
	}
	return u
}

// missingClasses maps every feature some host has but not all hosts have
// to the indexes of the classes lacking it.
func (a *Accumulator) missingClasses() map[string][]int {
	out := map[string][]int{}
	common, ok := a.commonBits(nil, featsOf)
	if !ok {
		return out
	}
	a.union().andNot(common).each(func(f int) {
		var lack []int
		for ci, c := range a.classes {
			if !c.feat.has(f) {
				lack = append(lack, ci)
			}
		}
		out[a.feats.names[f]] = lack
	})
	return out
}

// Missing maps every feature some host has but not all hosts have to the
// names of the hosts lacking it, sorted.
func (a *Accumulator) Missing() map[string][]string {
	out := map[string][]string{}
	for f, cls := range a.missingClasses() {
		var names []string
		for _, ci := range cls {
			names = append(names, a.memberNames(ci)...)
		}
		sort.Strings(names)
		out[f] = names
	}
	return out
}

// memberNames returns the names of class ci's hosts, sorted.
func (a *Accumulator) memberNames(ci int) []string {
	c := a.classes[ci]
	out := make([]string, len(c.members))
	for k, i := range c.members {
		out[k] = a.hosts[i].Name
	}
	sort.Strings(out)
	return out
}

// unique returns, per host index, the features only that host has.
func (a *Accumulator) unique() map[int][]string {
	out := map[int][]string{}
	if len(a.hosts) < 2 {
		return out
	}
	seenIn := make([]int, len(a.feats.names)) // -1: in several hosts
	for i := range seenIn {
		seenIn[i] = -2
	}
	for ci, c := range a.classes {
		c.feat.each(func(f int) {
			switch {
			case seenIn[f] == -2 && len(c.members) == 1:
				seenIn[f] = ci
			default:
				seenIn[f] = -1
			}
		})
	}
	for f, ci := range seenIn {
		if ci >= 0 {
			i := a.classes[ci].members[0]
			out[i] = append(out[i], a.feats.names[f])
		}
	}
	for i := range out {
		sort.Strings(out[i])
	}
	return out
}

// groupLinux returns, per named inventory group, the exact intersection of
// its hosts' Linux flags and its sorted host names. Hosts without a group
// are left out: each is a group of its own for the brief's files (see
// linuxArtifacts), and its flags are its class's.
func (a *Accumulator) groupLinux() map[string]GroupFlags {
	members := map[string][]int{}
	for i, h := range a.hosts {
		if h.Group != "" {
			members[h.Group] = append(members[h.Group], i)
		}
	}
	out := make(map[string]GroupFlags, len(members))
	for g, idx := range members {
		out[g] = GroupFlags{Group: g, Hosts: a.namesOf(idx), Flags: a.intersectLinux(idx)}
	}
	return out
}

func (a *Accumulator) namesOf(idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = a.hosts[i].Name
	}
	sort.Strings(out)
	return out
}

// intersectLinux returns the exact intersection of the Linux flags of the
// hosts idx (empty for no hosts), by their classes.
func (a *Accumulator) intersectLinux(idx []int) []string {
	if len(idx) == 0 {
		return []string{}
	}
	seen := make([]bool, len(a.classes))
	var cls []int
	for _, i := range idx {
		if ci := int(a.classOf[i]); !seen[ci] {
			seen[ci] = true
			cls = append(cls, ci)
		}
	}
	b, _ := a.commonBits(cls, linOf)
	return a.linux.list(b)
}

// classIDs names the classes c1, c2... in the order of their first
// member's name; the result is indexed by class index.
func (a *Accumulator) classIDs() []string {
	ids := make([]string, len(a.classes))
	n := 0
	for _, i := range a.byName() {
		if ci := a.classOf[i]; ids[ci] == "" {
			n++
			ids[ci] = "c" + strconv.Itoa(n)
		}
	}
	return ids
}

// classRank is the position of class ci in ID order.
func (a *Accumulator) classRank(ids []string, ci int) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(ids[ci], "c"))
	return n - 1
}

// classIDLess orders class IDs by number (c2 before c10).
func classIDLess(x, y string) bool {
	if len(x) != len(y) {
		return len(x) < len(y)
	}
	return x < y
}
