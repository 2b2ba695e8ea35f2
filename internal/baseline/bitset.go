package baseline

import (
	"maps"
	bits64 "math/bits"
	"slices"
	"sort"
)

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

func (t table) clone() table {
	return table{idx: maps.Clone(t.idx), names: slices.Clone(t.names)}
}
