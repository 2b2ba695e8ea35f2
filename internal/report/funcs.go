package report

import (
	htmltemplate "html/template"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

var mdFuncs = template.FuncMap{
	"md":    mdText,
	"code":  mdCode,
	"codes": mdCodes,
	"fence": mdFence,
	"add":   func(a, b int) int { return a + b },
}

var htmlFuncs = htmltemplate.FuncMap{
	"join":  strings.Join,
	"add":   func(a, b int) int { return a + b },
	"first": func(s string) string { r, _ := utf8.DecodeRuneInString(s); return string(r) },
}

// mdText escapes s for Markdown text, table cells included: HTML (<, >, &),
// links and images ([, ]), code spans (`), emphasis (*, and _ unless inside
// a word, where CommonMark ignores it), table pipes and backslashes; line
// breaks become spaces.
func mdText(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '\\', '`', '*', '[', ']', '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '_':
			if i > 0 && i+1 < len(rs) && isWord(rs[i-1]) && isWord(rs[i+1]) {
				b.WriteRune(r)
			} else {
				b.WriteString(`\_`)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// mdCode renders s as a Markdown code span, usable in a table cell: the
// delimiter is one backtick longer than the longest backtick run in s, |
// is escaped (GFM tables split cells on it even in code spans) and line
// breaks become spaces. Code spans show their content literally, so HTML in
// s is not interpreted.
func mdCode(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "|", `\|`).Replace(s)
	if s == "" {
		return `""`
	}
	d := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.Trim(s, " ") == "" {
		pad = " "
	}
	return d + pad + s + pad + d
}

// mdCodes renders each element as a code span, comma-separated; "none" for
// an empty list.
func mdCodes(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = mdCode(s)
	}
	return strings.Join(out, ", ")
}

// mdFence renders s as a fenced code block with the info string lang; the
// fence is longer than any backtick run in s.
func mdFence(lang, s string) string {
	n := max(3, longestRun(s, '`')+1)
	f := strings.Repeat("`", n)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return f + lang + "\n" + s + f
}

func longestRun(s string, c rune) int {
	best, cur := 0, 0
	for _, r := range s {
		if r == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}
