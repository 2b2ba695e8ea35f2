package baseline

import (
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Views a Host's Features can come from (the same strings as hostfacts'
// trusted views; clusterrun's tests hold them equal).
const (
	ViewLibvirt = "libvirt"
	ViewCPUInfo = "cpuinfo"
	// ViewPredicted: the captured flags with the guest view predicted
	// from them (hostfacts, guestview); judged as ViewCPUInfo is.
	ViewPredicted = "predicted"
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
	// LibvirtVersion is the host's libvirt version when its facts carry one
	// ("" for a capture): a host whose libvirt listed no models is judged by
	// it (versioned model names), else by Request.LibvirtVersion.
	LibvirtVersion string `json:"libvirt_version,omitempty"`
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
// is identical (view, vendor, CPU model name, features, Linux flags,
// libvirt's model usability and version) share one host class: the intersection, the
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
	libvirtVersion          string
	features, linuxFlags    []string
	libvirtModels           []ModelUsability
	feat, lin               bits
	members                 []int          // host indexes, in Add order
	usable                  map[string]int // lower-case model name -> index in libvirtModels
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
	h.LibvirtVersion = strings.TrimSpace(h.LibvirtVersion)
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
	for _, part := range []string{h.View, h.Vendor, h.ModelName, h.LibvirtVersion} {
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
		if c.view == h.View && c.vendor == h.Vendor && c.modelName == h.ModelName && c.libvirtVersion == h.LibvirtVersion &&
			slices.Equal(c.features, feats) && slices.Equal(c.linuxFlags, lin) &&
			slices.EqualFunc(c.libvirtModels, h.LibvirtModels, equalUsability) {
			return int(ci)
		}
	}
	c := &class{
		view: h.View, vendor: h.Vendor, modelName: h.ModelName, libvirtVersion: h.LibvirtVersion,
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
