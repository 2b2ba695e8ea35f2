package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"text/template"

	"github.com/kvm-migration/cpuflags/internal/baseline"
)

// File names the renderers' output is conventionally written to.
const (
	// MarkdownFile is the file name of Markdown's output.
	MarkdownFile = "report.md"
	// HTMLFile is the file name of HTML's output.
	HTMLFile = "report.html"
	// JSONFile is the file name of JSON's output.
	JSONFile = "report.json"
)

//go:embed templates/report.md.tmpl templates/report.html.tmpl
var templates embed.FS

var (
	mdTmpl = template.Must(template.New("report.md.tmpl").Funcs(mdFuncs).
		ParseFS(templates, "templates/report.md.tmpl"))
	htmlTmpl = htmltemplate.Must(htmltemplate.New("report.html.tmpl").Funcs(htmlFuncs).
			ParseFS(templates, "templates/report.html.tmpl"))
)

// ErrNilResult is returned by JSON for a nil Result.
var ErrNilResult = errors.New("nil baseline result")

// Markdown renders r as report.md: the summary, the nova.conf snippet, the
// libvirt XML and QEMU -cpu argument, the model blockers, the ranked
// candidates, the exclusions, the features not on every host, the warnings,
// the explanation and the artifact files. A nil r renders an empty report.
func Markdown(r *baseline.Result) []byte {
	var b bytes.Buffer
	if err := mdTmpl.Execute(&b, newView(r)); err != nil {
		// The template is fixed and tested; say so in the output rather
		// than lose the part already rendered.
		fmt.Fprintf(&b, "\n\n**report rendering failed: %s**\n", mdText(err.Error()))
	}
	return b.Bytes()
}

// HTML renders r as report.html: one self-contained page (inline CSS and a
// little optional inline JS, no external resources) with the content of
// Markdown plus a host × feature matrix. A nil r renders an empty report.
func HTML(r *baseline.Result) []byte {
	var b bytes.Buffer
	if err := htmlTmpl.Execute(&b, newView(r)); err != nil {
		fmt.Fprintf(&b, "\n<p>report rendering failed: %s</p>\n", htmltemplate.HTMLEscapeString(err.Error()))
	}
	return b.Bytes()
}

// JSON renders r as report.json: the Result, indented by two spaces, struct
// fields in declaration order and map keys sorted, so equal results give
// equal bytes. <, > and & are not escaped (the libvirt XML stays readable).
func JSON(r *baseline.Result) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("render %s: %w: compute the baseline first", JSONFile, ErrNilResult)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("render %s: %w", JSONFile, err)
	}
	return b.Bytes(), nil
}
