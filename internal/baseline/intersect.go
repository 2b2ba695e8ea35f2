package baseline

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

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
