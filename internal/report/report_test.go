package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/golden"
)

type goldenCase struct {
	name   string
	reason string
	result func(t testing.TB) *baseline.Result
}

var goldenCases = []goldenCase{
	{
		name:   "mixed3",
		reason: "Broadwell + Cascade Lake + EPYC Rome, recommended model: the common case, mixed vendors",
		result: func(t testing.TB) *baseline.Result { return sampleResult(t, baseline.Request{}) },
	},
	{
		name:   "blocked",
		reason: "the operator names Skylake-Server-noTSX-IBRS, which Broadwell and Rome cannot run: blockers must show",
		result: func(t testing.TB) *baseline.Result {
			return sampleResult(t, baseline.Request{Model: "Skylake-Server-noTSX-IBRS"})
		},
	},
	{
		name:   "hostile",
		reason: "hand-built result whose names are HTML/Markdown injections: everything must be escaped",
		result: func(testing.TB) *baseline.Result { return hostileResult() },
	},
}

// hostileResult is a small hand-built Result whose host, group, feature and
// model names try to inject HTML and Markdown.
func hostileResult() *baseline.Result {
	evilHost := `<script>alert("host")</script>`
	evilFeat := `<img src=x onerror=alert(1)>`
	linkHost := `[click](javascript:alert(1))`
	return &baseline.Result{
		Hosts: []baseline.HostSummary{
			{Name: evilHost, Group: `<b>grp</b>`, Vendor: "Intel", ModelName: `Intel(R) <i>Xeon</i>`, View: "cpuinfo", FeatureCount: 3, Class: "c1"},
			{Name: linkHost, Group: "target", Vendor: "AMD", ModelName: "AMD `EPYC` | 7742", View: "cpuinfo", FeatureCount: 2, Unique: []string{"a|b"}, Class: "c2"},
		},
		Classes: []baseline.HostClass{
			{ID: "c1", Count: 1, Members: []string{evilHost}, Groups: []string{`<b>grp</b>`}, Vendor: "Intel", ModelName: `Intel(R) <i>Xeon</i>`, View: "cpuinfo", Features: []string{"fpu", "sse`2", evilFeat}},
			{ID: "c2", Count: 1, Members: []string{linkHost}, Groups: []string{"target"}, Vendor: "AMD", ModelName: "AMD `EPYC` | 7742", View: "cpuinfo", Features: []string{"fpu", "sse`2"}, Lacks: []string{evilFeat}, Blocked: []string{evilFeat}},
		},
		Vendors:             []string{"AMD", "Intel"},
		MixedVendor:         true,
		Common:              []string{"fpu", "sse`2"},
		MissingClasses:      map[string][]string{evilFeat: {"c2"}},
		Model:               "qemu64<script>",
		ModelSource:         baseline.ModelRequested,
		ModelFeatures:       []string{"fpu", evilFeat},
		ModelBlockers:       map[string][]string{linkHost: {evilFeat}},
		ModelBlockedClasses: map[string][]string{"c2": {evilFeat}},
		Rejected:            []baseline.Candidate{{Model: "x<script>", Lacking: []string{evilFeat}, BlockedClasses: map[string][]string{"c2": {evilFeat}}, Reason: evilHost}},
		ExtraFlags:          []string{"sse`2"},
		Excluded: map[string]featnames.Exclusion{
			"fpu": {Flag: "fpu", Reason: "<script>", Detail: `"><script>alert(2)</script>`},
		},
		ExcludedLinux: map[string]featnames.Exclusion{},
		Warnings:      []string{"host " + evilHost + " is *odd*"},
		NovaConf:      baseline.NovaConf("qemu64<script>", []string{"sse`2"}),
		LibvirtXML:    baseline.LibvirtCPUXML("qemu64<script>", []string{"sse`2"}),
		QEMUCPU:       baseline.QEMUCPU("qemu64<script>", []string{"sse`2"}),
		Explanation:   []string{"```\n<script>x</script>"},
		Artifacts:     baseline.Artifacts{Files: map[string][]string{"<x>.list": {"a"}}, SourceGroup: `<b>grp</b>`, TargetGroups: []string{"target"}},
	}
}

// TestGolden renders each case in the three formats and compares with the
// reviewed files under testdata/ (refresh with -update).
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			r := c.result(t)
			golden.Check(t, filepath.Join("testdata", c.name+".golden.md"), Markdown(r))
			golden.Check(t, filepath.Join("testdata", c.name+".golden.html"), HTML(r))
			j, err := JSON(r)
			if err != nil {
				t.Fatalf("%s: %v", c.reason, err)
			}
			golden.Check(t, filepath.Join("testdata", c.name+".golden.json"), j)
		})
	}
}

// TestHTMLWellFormed checks that every element is closed, in order, for
// every case and for an empty result.
func TestHTMLWellFormed(t *testing.T) {
	cases := append(slices.Clone(goldenCases), goldenCase{name: "nil", reason: "a nil result renders an empty page",
		result: func(testing.TB) *baseline.Result { return nil }})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := checkBalanced(HTML(c.result(t))); err != nil {
				t.Fatalf("%s: %v", c.reason, err)
			}
		})
	}
}

// TestCheckBalancedRejects makes sure the well-formedness check can fail.
func TestCheckBalancedRejects(t *testing.T) {
	for _, c := range []struct{ name, page, reason string }{
		{"crossed", "<div><span></div></span>", "end tags in the wrong order"},
		{"unclosed", "<div><p>text</div>", "a <p> is never closed"},
		{"stray", "<div></div></td>", "an end tag without a start tag"},
	} {
		if err := checkBalanced([]byte(c.page)); err == nil {
			t.Errorf("%s: checkBalanced accepted %q (%s)", c.name, c.page, c.reason)
		}
	}
}

var externalRef = regexp.MustCompile(`(?i)(https?:|ftp:)?//[a-z0-9]|@import|url\(|\b(src|href)\s*=`)

// TestHTMLSelfContained checks that the page loads nothing: no URLs, no
// src/href attributes, no CSS imports or url().
func TestHTMLSelfContained(t *testing.T) {
	for _, c := range goldenCases {
		page := HTML(c.result(t))
		if m := externalRef.Find(page); m != nil {
			// The hostile case carries "src=x" inside escaped text; only a
			// real attribute counts.
			if c.name != "hostile" || bytes.Contains(page, []byte("<img")) {
				t.Errorf("%s: page references %q (%s)", c.name, m, c.reason)
			}
		}
		for _, bad := range []string{"http://", "https://", "<link", "<img", "<iframe"} {
			if bytes.Contains(page, []byte(bad)) {
				t.Errorf("%s: page contains %q", c.name, bad)
			}
		}
	}
}

// matrix is the host × feature matrix as parsed back from the page.
type matrix struct {
	hosts []string            // column headers, in order
	rows  []string            // features, in order
	cells map[string][]string // feature -> cell texts, one per host
}

// parseMatrix reads table.mx of a page: the host names (<b> of the host
// headers) and, per body row, the feature (<code> of the row header) and
// the text of the host cells (the first <td>, the count, is skipped).
func parseMatrix(t *testing.T, page []byte) matrix {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	m := matrix{cells: map[string][]string{}}
	var inMx, inHead, inHostTh, inB, inCode, inTd bool
	var feature, text string
	tdN := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			cls := ""
			for _, a := range e.Attr {
				if a.Name.Local == "class" {
					cls = a.Value
				}
			}
			switch {
			case e.Name.Local == "table" && cls == "mx":
				inMx = true
			case !inMx:
			case e.Name.Local == "thead":
				inHead = true
			case e.Name.Local == "th" && inHead && strings.HasPrefix(cls, "host"):
				inHostTh = true
			case e.Name.Local == "b" && inHostTh:
				inB, text = true, ""
			case e.Name.Local == "tr" && !inHead:
				feature, tdN = "", 0
			case e.Name.Local == "code" && !inHead && feature == "":
				inCode, text = true, ""
			case e.Name.Local == "td":
				inTd, text = true, ""
			}
		case xml.CharData:
			if inB || inCode || inTd {
				text += string(e)
			}
		case xml.EndElement:
			switch {
			case !inMx:
			case e.Name.Local == "table":
				inMx = false
			case e.Name.Local == "thead":
				inHead = false
			case e.Name.Local == "th" && inHostTh:
				inHostTh = false
			case e.Name.Local == "b" && inB:
				inB = false
				m.hosts = append(m.hosts, text)
			case e.Name.Local == "code" && inCode:
				inCode = false
				feature = text
				m.rows = append(m.rows, feature)
			case e.Name.Local == "td" && inTd:
				inTd = false
				if tdN > 0 && feature != "" {
					m.cells[feature] = append(m.cells[feature], text)
				}
				tdN++
			}
		}
	}
	return m
}

// TestHTMLMatrix checks the matrix of the sample clusters against the
// Result it was rendered from: every host class is a column, every feature
// a row, the features some class lacks come first, and a cell is ✗ exactly
// when the Result lists the class as lacking the feature.
func TestHTMLMatrix(t *testing.T) {
	for _, c := range goldenCases[:2] {
		t.Run(c.name, func(t *testing.T) {
			r := c.result(t)
			m := parseMatrix(t, HTML(r))
			var want []string
			for _, k := range r.Classes {
				want = append(want, k.ID)
			}
			if !slices.Equal(m.hosts, want) {
				t.Fatalf("%s: class columns %v, want %v", c.reason, m.hosts, want)
			}
			if len(m.rows) != len(r.Common)+len(r.MissingClasses) {
				t.Fatalf("%d rows, want %d common + %d missing", len(m.rows), len(r.Common), len(r.MissingClasses))
			}
			for i, f := range m.rows {
				_, missing := r.MissingClasses[f]
				if missing != (i < len(r.MissingClasses)) {
					t.Fatalf("row %d (%s): the features some host lacks must come first", i, f)
				}
				cells := m.cells[f]
				if len(cells) != len(m.hosts) {
					t.Fatalf("row %s has %d cells for %d classes", f, len(cells), len(m.hosts))
				}
				for j, id := range m.hosts {
					wantCell := "✓"
					if slices.Contains(r.MissingClasses[f], id) {
						wantCell = "✗"
					}
					if cells[j] != wantCell {
						t.Errorf("feature %s, class %s: cell %q, want %q", f, id, cells[j], wantCell)
					}
				}
			}
			// The brief's example: a feature only one host lacks.
			one := ""
			for _, f := range slices.Sorted(maps.Keys(r.MissingClasses)) {
				if len(r.HostsLacking(f)) == 1 {
					one = f
					break
				}
			}
			if one == "" {
				t.Fatal("the sample cluster has no feature exactly one host lacks")
			}
			host := r.HostsLacking(one)[0]
			id := ""
			for _, h := range r.Hosts {
				if h.Name == host {
					id = h.Class
				}
			}
			j := slices.Index(m.hosts, id)
			if j < 0 || m.cells[one][j] != "✗" {
				t.Errorf("%s (class %s) lacks %s but its cell does not show ✗", host, id, one)
			}
		})
	}
}

// TestHTMLClassesAndMarks checks the class columns, the member lists and
// the row marks on the sample cluster.
func TestHTMLClassesAndMarks(t *testing.T) {
	r := sampleResult(t, baseline.Request{Model: "Skylake-Server-noTSX-IBRS"})
	page := string(HTML(r))
	m := parseMatrix(t, []byte(page))
	if !slices.Equal(m.hosts, []string{"c1", "c2", "c3"}) {
		t.Errorf("columns %v: want one per class, c1 to c3", m.hosts)
	}
	for _, want := range []string{
		`<span class="vd amd">AMD</span>`,
		`<span class="vd intel">Intel</span>`,
		`<td class="n b">✗</td>`, // a model feature a class lacks
		`<span class="tag b">model</span>`,
		`<span class="tag x">extra</span>`,
		`id="blockers"`,
		`Model blockers: nova-compute will not start on 2 host(s)`,
		`<tr id="class-c1"><td><b class="no">c1</b></td><td>hv-bdw-01</td>`,
		`id="rejected"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The decision comes before the reasons and the matrix.
	if b, w, x := strings.Index(page, `id="blockers"`), strings.Index(page, `id="rejected"`), strings.Index(page, `id="matrix"`); !(b < w && w < x) {
		t.Errorf("sections out of order: blockers at %d, rejected at %d, matrix at %d", b, w, x)
	}
	// Excluded rows carry the reason as a tooltip.
	h := hostileResult()
	if p := string(HTML(h)); !strings.Contains(p, `<span class="tag e" title="&lt;script&gt;: &#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;">excluded</span>`) {
		t.Errorf("excluded feature fpu has no tooltip with its reason")
	}
}

// TestMarkdownContent checks the snippets are verbatim and every section is
// there.
func TestMarkdownContent(t *testing.T) {
	for _, c := range goldenCases[:2] {
		r := c.result(t)
		md := string(Markdown(r))
		for _, s := range []string{r.NovaConf, r.LibvirtXML, r.QEMUCPU} {
			if s == "" || !strings.Contains(md, s) {
				t.Errorf("%s: Markdown does not contain the snippet verbatim:\n%s", c.name, s)
			}
		}
		last := -1
		for _, h := range []string{"## Decision", "### nova.conf", "### Model blockers", "## Why the better models were rejected", "## Candidate models", "## Host classes", "## Excluded features", "## Features not on every host", "## Warnings", "## Explanation", "## Artifact files"} {
			at := strings.Index(md, "\n"+h+"\n")
			if at < 0 {
				t.Errorf("%s: no section %q", c.name, h)
			} else if at < last {
				t.Errorf("%s: section %q out of order (the decision first)", c.name, h)
			}
			last = at
		}
		for f := range r.Artifacts.Files {
			if !strings.Contains(md, "`"+f+"`") {
				t.Errorf("%s: artifact %s not named", c.name, f)
			}
		}
		for id := range r.ModelBlockedClasses {
			if !strings.Contains(md, "| **`"+id+"`** |") {
				t.Errorf("%s: blocked class %s not in the blockers table", c.name, id)
			}
		}
		for h := range r.ModelBlockers {
			if !strings.Contains(md, "`"+h+"`") {
				t.Errorf("%s: blocked host %s not named", c.name, h)
			}
		}
	}
}

// stripCode removes fenced code blocks and code spans from Markdown: what
// is left is what a renderer interprets.
func stripCode(md string) string {
	var out []string
	fence := ""
	for _, ln := range strings.Split(md, "\n") {
		trim := strings.TrimLeft(ln, " ")
		if fence != "" {
			if strings.TrimRight(trim, " ") == fence {
				fence = ""
			}
			continue
		}
		if n := len(trim) - len(strings.TrimLeft(trim, "`")); n >= 3 {
			fence = trim[:n]
			continue
		}
		out = append(out, stripSpans(ln))
	}
	return strings.Join(out, "\n")
}

// stripSpans removes code spans (a backtick run up to the next run of the
// same length) from a line, keeping backslash-escaped backticks.
func stripSpans(ln string) string {
	var b strings.Builder
	for i := 0; i < len(ln); {
		if ln[i] == '\\' && i+1 < len(ln) {
			b.WriteString(ln[i : i+2])
			i += 2
			continue
		}
		if ln[i] != '`' {
			b.WriteByte(ln[i])
			i++
			continue
		}
		n := 0
		for i+n < len(ln) && ln[i+n] == '`' {
			n++
		}
		run := strings.Repeat("`", n)
		end := -1
		for j := i + n; j < len(ln); {
			k := strings.Index(ln[j:], run)
			if k < 0 {
				break
			}
			k += j
			if (k+n >= len(ln) || ln[k+n] != '`') && ln[k-1] != '`' {
				end = k
				break
			}
			j = k + 1
		}
		if end < 0 {
			b.WriteString(run)
			i += n
			continue
		}
		i = end + n
	}
	return b.String()
}

// TestHostileNames checks that names are shown, not interpreted.
func TestHostileNames(t *testing.T) {
	r := hostileResult()
	page := string(HTML(r))
	if n := strings.Count(strings.ToLower(page), "<script"); n != 1 {
		t.Errorf("page has %d <script elements, want only its own", n)
	}
	for _, bad := range []string{"<img", "<b>grp", "<i>Xeon"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %s", bad)
		}
	}
	if !strings.Contains(page, "<td>&lt;script&gt;alert(&#34;host&#34;)&lt;/script&gt;</td>") {
		t.Error("hostile host name is not listed in its class, escaped")
	}
	md := string(Markdown(r))
	text := stripCode(md)
	for _, bad := range []string{"<script", "<img", "<b>", "<i>", "](javascript:"} {
		if strings.Contains(text, bad) {
			t.Errorf("Markdown outside code contains %q", bad)
		}
	}
	if !strings.Contains(md, "``sse`2``") {
		t.Error("a feature with a backtick is not in a longer code span")
	}
	if !strings.Contains(md, "````\n<script>x</script>") && strings.Contains(md, "\n<script>x</script>") {
		t.Error("an explanation opening a fence was not escaped")
	}
	if !strings.Contains(md, r.NovaConf) {
		t.Error("nova.conf not verbatim")
	}
}

func TestStripCode(t *testing.T) {
	for _, c := range []struct{ name, in, want, reason string }{
		{"span", "a `<x>` b", "a  b", "a code span is removed"},
		{"double", "a `` x`y `` b", "a  b", "a longer delimiter holds a backtick"},
		{"escaped", "a \\`<x>\\` b", "a \\`<x>\\` b", "escaped backticks open no span"},
		{"fence", "x\n```ini\n<a>\n```\ny", "x\ny", "a fenced block is removed"},
		{"unclosed", "a `<x> b", "a `<x> b", "a lone backtick is text"},
	} {
		if got := stripCode(c.in); got != c.want {
			t.Errorf("%s: stripCode(%q) = %q, want %q (%s)", c.name, c.in, got, c.want, c.reason)
		}
	}
}

// TestJSON checks report.json decodes back to the same Result, is stable
// and keeps the XML readable.
func TestJSON(t *testing.T) {
	r := sampleResult(t, baseline.Request{})
	a, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := JSON(r)
	if !bytes.Equal(a, b) {
		t.Error("two renderings differ")
	}
	var back baseline.Result
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, &back, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("round trip differs, empty and nil lists equal (-want +got):\n%s", d)
	}
	if !bytes.Contains(a, []byte(`"libvirt_xml": "<cpu mode='custom'`)) {
		t.Error("XML is escaped or missing")
	}
	if !bytes.HasPrefix(a, []byte("{\n  \"hosts\": [")) || !bytes.HasSuffix(a, []byte("}\n")) {
		t.Errorf("not indented as expected: %.40q", a)
	}
	if _, err := JSON(nil); !errors.Is(err, ErrNilResult) {
		t.Errorf("JSON(nil) error %v, want ErrNilResult", err)
	}
}

// TestNilResult checks the renderers survive a nil or zero result.
func TestNilResult(t *testing.T) {
	for _, r := range []*baseline.Result{nil, {}} {
		if md := Markdown(r); !bytes.Contains(md, []byte("No base model")) {
			t.Errorf("Markdown(%v) does not say there is no model:\n%s", r, md)
		}
		if page := HTML(r); !bytes.Contains(page, []byte("No base model")) || bytes.Contains(page, []byte("rendering failed")) {
			t.Errorf("HTML(%v) does not say there is no model", r)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	for _, c := range []struct {
		name, in, want, reason string
		f                      func(string) string
	}{
		{"html", "<script>&", "&lt;script&gt;&amp;", "HTML is shown", mdText},
		{"link", "[a](b)", `\[a\](b)`, "no link", mdText},
		{"pipe", "a|b", `a\|b`, "no table cell split", mdText},
		{"intraword", "lahf_lm x86_64", "lahf_lm x86_64", "intraword underscores stay readable", mdText},
		{"edge underscore", "_a_", `\_a\_`, "no emphasis", mdText},
		{"star", "vmx-* *x*", `vmx-\* \*x\*`, "no emphasis", mdText},
		{"backtick", "`x`", "\\`x\\`", "no code span", mdText},
		{"newline", "a\nb", "a b", "one table row", mdText},
		{"code", "fpu", "`fpu`", "plain code span", mdCode},
		{"code backtick", "a`b", "``a`b``", "longer delimiter", mdCode},
		{"code edge backtick", "`a", "`` `a ``", "padded", mdCode},
		{"code pipe", "a|b", "`a\\|b`", "GFM tables split on | even in code", mdCode},
		{"code empty", "", `""`, "visible empty", mdCode},
	} {
		if got := c.f(c.in); got != c.want {
			t.Errorf("%s: got %q, want %q (%s)", c.name, got, c.want, c.reason)
		}
	}
	if got := mdFence("ini", "a\n```\nb"); got != "````ini\na\n```\nb\n````" {
		t.Errorf("mdFence: %q: the fence must be longer than any backtick run", got)
	}
}

func TestShortCPU(t *testing.T) {
	for _, c := range []struct{ in, want, reason string }{
		{"Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz", "Intel Xeon E5-2690 v4", "marks, CPU and clock go"},
		{"Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", "Intel Xeon Gold 6230", "CPU after the number"},
		{"AMD EPYC 7742 64-Core Processor", "AMD EPYC 7742", "core count and Processor go"},
		{"", "", "empty stays empty"},
	} {
		if got := shortCPU(c.in); got != c.want {
			t.Errorf("shortCPU(%q) = %q, want %q (%s)", c.in, got, c.want, c.reason)
		}
	}
}

// bigResult is a synthetic cluster of hosts hosts and feats features in
// three groups: host i lacks feature j when (i+j)%7 == 0 for the first
// half of the features; the rest are common.
func bigResult(hosts, feats int) *baseline.Result {
	r := &baseline.Result{MissingClasses: map[string][]string{}, ModelBlockers: map[string][]string{},
		Model: "Westmere", ModelSource: baseline.ModelRecommended, ModelFeatures: []string{"f000", "f150"}}
	for i := range hosts {
		name, id := fmt.Sprintf("hv-%02d.example.net", i), fmt.Sprintf("c%d", i+1)
		r.Hosts = append(r.Hosts, baseline.HostSummary{Name: name, Group: []string{"source", "target", "gen3"}[i%3],
			Vendor: []string{"Intel", "AMD"}[i%2], ModelName: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", View: "cpuinfo", Class: id})
		r.Classes = append(r.Classes, baseline.HostClass{ID: id, Count: 1, Members: []string{name}, Groups: []string{r.Hosts[i].Group},
			Vendor: r.Hosts[i].Vendor, ModelName: r.Hosts[i].ModelName, View: "cpuinfo"})
	}
	for j := range feats {
		f := fmt.Sprintf("f%03d", j)
		var lack []string
		for i := range hosts {
			if j < feats/2 && (i+j)%7 == 0 {
				lack = append(lack, r.Classes[i].ID)
			}
		}
		if lack == nil {
			r.Common = append(r.Common, f)
			r.ExtraFlags = append(r.ExtraFlags, f)
		} else {
			r.MissingClasses[f] = lack
		}
	}
	r.Artifacts.SourceGroup, r.Artifacts.TargetGroups = "source", []string{"target", "gen3"}
	return r
}

// TestHTMLLarge checks 50 hosts × 200 features stay compact and correct.
func TestHTMLLarge(t *testing.T) {
	r := bigResult(50, 200)
	page := HTML(r)
	if err := checkBalanced(page); err != nil {
		t.Fatal(err)
	}
	m := parseMatrix(t, page)
	if len(m.hosts) != 50 || len(m.rows) != 200 {
		t.Fatalf("matrix %d hosts × %d rows, want 50 × 200", len(m.hosts), len(m.rows))
	}
	// 10,000 cells: about 20 bytes each plus the rest of the page.
	if len(page) > 300_000 {
		t.Errorf("page is %d bytes for 50×200: cells must use classes, not inline styles", len(page))
	}
	if n := bytes.Count(page, []byte("style=")); n > 10 {
		t.Errorf("%d inline style attributes; use classes", n)
	}
}

func BenchmarkHTML50x200(b *testing.B) {
	r := bigResult(50, 200)
	b.ReportAllocs()
	for b.Loop() {
		HTML(r)
	}
}
