package baseline

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
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

// bitset is a growable set of host indexes.
type bitset []uint64

func (b *bitset) set(i int) {
	w := i / 64
	for len(*b) <= w {
		*b = append(*b, 0)
	}
	(*b)[w] |= 1 << uint(i%64)
}

func (b bitset) has(i int) bool {
	w := i / 64
	return w < len(b) && b[w]&(1<<uint(i%64)) != 0
}

// counter tracks, for every name, which hosts have it.
type counter struct {
	n     int // hosts added
	names map[string]*entry
}

type entry struct {
	count int
	hosts bitset
}

func newCounter() *counter { return &counter{names: map[string]*entry{}} }

// add records host index i (i must be c.n) with its (deduplicated) names.
func (c *counter) add(i int, names []string) {
	for _, nm := range names {
		e := c.names[nm]
		if e == nil {
			e = &entry{}
			c.names[nm] = e
		}
		if !e.hosts.has(i) {
			e.hosts.set(i)
			e.count++
		}
	}
	c.n++
}

// common returns the names every added host has, sorted.
func (c *counter) common() []string {
	out := []string{}
	if c.n == 0 {
		return out
	}
	for nm, e := range c.names {
		if e.count == c.n {
			out = append(out, nm)
		}
	}
	sort.Strings(out)
	return out
}

// lacking returns the indexes of the hosts (among 0..n-1 mapped through
// members) that lack name.
func (c *counter) lacking(e *entry, members []int) []int {
	var out []int
	for _, i := range members {
		if !e.hosts.has(i) {
			out = append(out, i)
		}
	}
	return out
}

func (c *counter) clone() *counter {
	out := &counter{n: c.n, names: make(map[string]*entry, len(c.names))}
	for k, e := range c.names {
		out.names[k] = &entry{count: e.count, hosts: slices.Clone(e.hosts)}
	}
	return out
}

// Accumulator holds the cumulative intersection of any number of hosts. The
// result does not depend on the order of Add calls; adding a host refines
// the intersection in time proportional to the host's features, without
// recomputing the hosts added before. The zero value is ready to use.
type Accumulator struct {
	hosts []Host
	index map[string]int
	feats *counter
	linux *counter
}

// NewAccumulator returns an Accumulator holding hosts, added in order.
func NewAccumulator(hosts ...Host) (*Accumulator, error) {
	a := &Accumulator{}
	for _, h := range hosts {
		if err := a.Add(h); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// ErrDuplicateHost is wrapped by Add's error for a host name added twice.
var ErrDuplicateHost = errors.New("duplicate host")

// Add adds one host. Feature and flag names are trimmed; blanks and
// duplicates are ignored. A host without a name, or whose name was already
// added, is an error naming it.
func (a *Accumulator) Add(h Host) error {
	name := strings.TrimSpace(h.Name)
	if name == "" {
		return fmt.Errorf("add host: the host has no name (model %q); give every host a unique name", h.ModelName)
	}
	if a.index == nil {
		a.index = map[string]int{}
		a.feats = newCounter()
		a.linux = newCounter()
	}
	if _, dup := a.index[name]; dup {
		return fmt.Errorf("add host %s: %w: a host of that name was already added; give each host a unique name", name, ErrDuplicateHost)
	}
	h.Name = name
	h.Group = strings.TrimSpace(h.Group)
	if h.View == "" {
		h.View = ViewCPUInfo
	}
	h.Features = normalize(h.Features)
	h.LinuxFlags = normalize(h.LinuxFlags)
	h.LibvirtModels = slices.Clone(h.LibvirtModels)
	i := len(a.hosts)
	a.hosts = append(a.hosts, h)
	a.index[name] = i
	a.feats.add(i, h.Features)
	a.linux.add(i, h.LinuxFlags)
	return nil
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

// Hosts returns the hosts added, sorted by name (copies of the slices'
// headers; do not modify their contents).
func (a *Accumulator) Hosts() []Host {
	out := slices.Clone(a.hosts)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Clone returns an independent copy (e.g. to try adding a host).
func (a *Accumulator) Clone() *Accumulator {
	if a.index == nil {
		return &Accumulator{}
	}
	out := &Accumulator{hosts: slices.Clone(a.hosts), index: make(map[string]int, len(a.index)), feats: a.feats.clone(), linux: a.linux.clone()}
	for k, v := range a.index {
		out.index[k] = v
	}
	return out
}

// Common returns the exact intersection of the hosts' features, sorted; an
// empty (non-nil) slice when no host was added.
func (a *Accumulator) Common() []string {
	if a.feats == nil {
		return []string{}
	}
	return a.feats.common()
}

// CommonLinux returns the exact intersection of the hosts' Linux flags.
func (a *Accumulator) CommonLinux() []string {
	if a.linux == nil {
		return []string{}
	}
	return a.linux.common()
}

// Missing maps every feature some host has but not all hosts have to the
// names of the hosts lacking it, sorted.
func (a *Accumulator) Missing() map[string][]string {
	out := map[string][]string{}
	if a.feats == nil {
		return out
	}
	all := make([]int, len(a.hosts))
	for i := range all {
		all[i] = i
	}
	for nm, e := range a.feats.names {
		if e.count == a.feats.n {
			continue
		}
		idx := a.feats.lacking(e, all)
		names := make([]string, len(idx))
		for k, i := range idx {
			names[k] = a.hosts[i].Name
		}
		sort.Strings(names)
		out[nm] = names
	}
	return out
}

// unique returns, per host index, the features only that host has.
func (a *Accumulator) unique() map[int][]string {
	out := map[int][]string{}
	if a.feats == nil || a.feats.n < 2 {
		return out
	}
	for nm, e := range a.feats.names {
		if e.count != 1 {
			continue
		}
		for w, word := range e.hosts {
			if word != 0 {
				i := w*64 + bits.TrailingZeros64(word)
				out[i] = append(out[i], nm)
				break
			}
		}
	}
	for i := range out {
		sort.Strings(out[i])
	}
	return out
}

// groupLinux returns, per group (Host.Group, or the host name when empty),
// the exact intersection of its hosts' Linux flags and its sorted host names.
func (a *Accumulator) groupLinux() map[string]GroupFlags {
	members := map[string][]int{}
	for i, h := range a.hosts {
		g := h.Group
		if g == "" {
			g = h.Name
		}
		members[g] = append(members[g], i)
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
// hosts idx (empty for no hosts).
func (a *Accumulator) intersectLinux(idx []int) []string {
	out := []string{}
	if len(idx) == 0 {
		return out
	}
	for nm, e := range a.linux.names {
		if e.count < len(idx) {
			continue
		}
		if len(a.linux.lacking(e, idx)) == 0 {
			out = append(out, nm)
		}
	}
	sort.Strings(out)
	return out
}
