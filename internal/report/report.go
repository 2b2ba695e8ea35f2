package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
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
	_ = WriteMarkdown(&b, r)
	return b.Bytes()
}

// WriteMarkdown streams Markdown's output to w.
func WriteMarkdown(w io.Writer, r *baseline.Result) error {
	if err := mdTmpl.Execute(w, newView(r)); err != nil {
		// The template is fixed and tested; say so in the output rather
		// than lose the part already rendered.
		_, werr := fmt.Fprintf(w, "\n\n**report rendering failed: %s**\n", mdText(err.Error()))
		return errors.Join(err, werr)
	}
	return nil
}

// HTML renders r as report.html: one self-contained page (inline CSS and a
// little optional inline JS, no external resources) with the content of
// Markdown plus a host × feature matrix. A nil r renders an empty report.
func HTML(r *baseline.Result) []byte {
	var b bytes.Buffer
	_ = WriteHTML(&b, r)
	return b.Bytes()
}

// WriteHTML streams HTML's output to w.
func WriteHTML(w io.Writer, r *baseline.Result) error {
	if err := htmlTmpl.Execute(w, newView(r)); err != nil {
		_, werr := fmt.Fprintf(w, "\n<p>report rendering failed: %s</p>\n", htmltemplate.HTMLEscapeString(err.Error()))
		return errors.Join(err, werr)
	}
	return nil
}

// JSON renders r as report.json: the Result, indented by two spaces, struct
// fields in declaration order and map keys sorted, so equal results give
// equal bytes. <, > and & are not escaped (the libvirt XML stays readable).
func JSON(r *baseline.Result) ([]byte, error) {
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteJSON streams JSON's output to w.
func WriteJSON(w io.Writer, r *baseline.Result) error {
	if r == nil {
		return fmt.Errorf("render %s: %w: compute the baseline first", JSONFile, ErrNilResult)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("render %s: %w", JSONFile, err)
	}
	return nil
}
