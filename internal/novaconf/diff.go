package novaconf

import (
	"fmt"
	"strings"
)

// maxEditDistance bounds the line diff; beyond it the changed region is
// shown as one block.
const maxEditDistance = 1500

type diffOp struct {
	kind byte // '=', '-', '+'
	a, b int  // line indices in before/after (a for '=' and '-', b for '=' and '+')
}

// diffSide is one file of a diff with the safety class of each line.
type diffSide struct {
	f      *File
	text   []string
	parsed bool
}

func newDiffSide(data []byte) diffSide {
	f, err := Parse(data)
	parsed := err == nil
	if !parsed {
		f = &File{data: data}
		f.splitLines()
	}
	s := diffSide{f: f, parsed: parsed, text: make([]string, len(f.lines))}
	for i, ln := range f.lines {
		s.text[i] = string(data[ln.start:ln.end])
	}
	return s
}

// shown reports whether line i may be printed: a section header, a blank
// line, or a line of a managed key in a [libvirt] section. Everything else
// (values of other keys, comments, any line of an unparsable file) is hidden.
func (s diffSide) shown(i int) bool {
	if !s.parsed {
		return false
	}
	ln := s.f.lines[i]
	switch ln.kind {
	case kindSection, kindBlank:
		return true
	case kindKey, kindCont:
		return s.f.managed(ln.entry)
	}
	return false
}

func (s diffSide) sectionAt(i int) string {
	if !s.parsed || i < 0 || i >= len(s.f.lines) || s.f.lines[i].section < 0 {
		return ""
	}
	return s.f.sections[s.f.lines[i].section].name
}

// Diff returns a unified-style diff from before to after that shows only
// changed lines of the managed [libvirt] keys, section headers and blank
// lines. Every other changed line is replaced by "<hidden line N>" and
// unchanged lines are omitted, so the diff never contains the value of any
// other key (passwords, transport URLs) nor a comment. When a side does not
// parse, all its lines are hidden. Equal inputs give "".
func Diff(path string, before, after []byte) string {
	if string(before) == string(after) {
		return ""
	}
	a, b := newDiffSide(before), newDiffSide(after)
	ops := diffLines(a.text, b.text)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s (before)\n+++ %s (after)\n", path, path)
	if !a.parsed || !b.parsed {
		out.WriteString("# a side does not parse as an oslo.config file: its lines are hidden\n")
	}
	ai, bi := 0, 0 // next line of before/after
	for i := 0; i < len(ops); {
		if ops[i].kind == '=' {
			ai, bi = ops[i].a+1, ops[i].b+1
			i++
			continue
		}
		j := i
		for j < len(ops) && ops[j].kind != '=' {
			j++
		}
		// hunk ops[i:j]; line numbers come from the surrounding equal ops
		aStart, bStart := ai, bi
		var na, nb int
		for _, op := range ops[i:j] {
			if op.kind == '-' {
				na++
				ai = op.a + 1
			} else {
				nb++
				bi = op.b + 1
			}
		}
		sec := ""
		if ops[i].kind == '-' {
			sec = a.sectionAt(ops[i].a)
		} else {
			sec = b.sectionAt(ops[i].b)
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@", hunkStart(aStart, na), na, hunkStart(bStart, nb), nb)
		if sec != "" {
			fmt.Fprintf(&out, " [%s]", sec)
		}
		out.WriteByte('\n')
		for _, op := range ops[i:j] {
			side, idx := a, op.a
			if op.kind == '+' {
				side, idx = b, op.b
			}
			out.WriteByte(op.kind)
			if side.shown(idx) {
				out.WriteString(side.text[idx])
			} else {
				fmt.Fprintf(&out, "<hidden line %d>", idx+1)
			}
			out.WriteByte('\n')
		}
		i = j
	}
	return out.String()
}

// hunkStart follows the unified diff convention: an empty range names the
// line before it.
func hunkStart(idx, n int) int {
	if n == 0 {
		return idx
	}
	return idx + 1
}

// diffLines returns an edit script from a to b (Myers, after trimming the
// common prefix and suffix).
func diffLines(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{'=', i, i})
	}
	mid := myers(a[pre:len(a)-suf], b[pre:len(b)-suf])
	for _, op := range mid {
		op.a += pre
		op.b += pre
		ops = append(ops, op)
	}
	for i := 0; i < suf; i++ {
		ops = append(ops, diffOp{'=', len(a) - suf + i, len(b) - suf + i})
	}
	return ops
}

func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	replaceAll := func() []diffOp {
		ops := make([]diffOp, 0, n+m)
		for i := 0; i < n; i++ {
			ops = append(ops, diffOp{'-', i, 0})
		}
		for j := 0; j < m; j++ {
			ops = append(ops, diffOp{'+', 0, j})
		}
		return ops
	}
	if n == 0 || m == 0 {
		return replaceAll()
	}
	maxD := min(n+m, maxEditDistance)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int // trace[d] = v[off-d-1 .. off+d+1] before step d
	for d := 0; d <= maxD; d++ {
		snap := make([]int, 2*d+3)
		copy(snap, v[off-d-1:off+d+2])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, n, m, a, b)
			}
		}
	}
	return replaceAll()
}

func backtrack(trace [][]int, n, m int, a, b []string) []diffOp {
	var rev []diffOp
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		snap := trace[d]
		get := func(k int) int { return snap[k+d+1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && get(k-1) < get(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := get(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, diffOp{'=', x, y})
		}
		if d > 0 {
			if x == prevX {
				y--
				rev = append(rev, diffOp{'+', x, y})
			} else {
				x--
				rev = append(rev, diffOp{'-', x, y})
			}
		}
		x, y = prevX, prevY
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}
