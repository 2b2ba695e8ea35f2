// Package arch checks the package picture in docs/DESIGN.md against the
// code's own imports (`go list`), and the rules the arrows follow.
// Regenerate the picture with `go test ./tests/arch -update`.
package arch

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the package picture in docs/DESIGN.md")

const (
	module     = "github.com/kvm-migration/cpuflags/"
	design     = "../../docs/DESIGN.md"
	beginBlock = "<!-- package imports: go test ./tests/arch -update -->\n```text\n"
	endBlock   = "```\n<!-- end of package imports -->"
)

// modules are the Go modules of this repository whose packages the picture
// shows: this one, and the example prober, a module of its own (its import
// path is shown as its directory).
var modules = []struct{ dir, path string }{
	{dir: "../..", path: module},
	{dir: "../../examples/prober", path: "example.com/cpuflags-plugin-sitepolicy"},
}

// imports maps each package of cmd/, internal/, sdk/ and examples/ (no tests)
// to the packages of this module it imports, from `go list`.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	m := map[string][]string{}
	for _, mod := range modules {
		cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
		cmd.Dir = mod.dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list in %s: %v", mod.dir, err)
		}
		own := strings.TrimPrefix(mod.dir, "../../") + "/"
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(strings.ReplaceAll(line, module, ""))
			if mod.path != module {
				f[0] = strings.TrimSuffix(strings.Replace(f[0], mod.path, own, 1), "/")
			}
			if strings.HasPrefix(f[0], "tests/") {
				continue
			}
			deps := []string{}
			for _, d := range f[1:] {
				if strings.HasPrefix(d, "internal/") || strings.HasPrefix(d, "cmd/") || strings.HasPrefix(d, "sdk/") {
					deps = append(deps, d)
				}
			}
			m[f[0]] = deps
		}
	}
	return m
}

// picture renders the imports one package a line: "pkg → dep dep".
func picture(m map[string][]string) string {
	var pkgs []string
	for p := range m {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	width := 0
	for _, p := range pkgs {
		width = max(width, len(p))
	}
	var b strings.Builder
	for _, p := range pkgs {
		short := make([]string, len(m[p]))
		for i, d := range m[p] {
			short[i] = strings.TrimPrefix(d, "internal/")
		}
		fmt.Fprintf(&b, "%-*s → %s\n", width, p, strings.Join(short, " "))
	}
	return strings.ReplaceAll(b.String(), " \n", "\n")
}

func TestPicture(t *testing.T) {
	want := picture(imports(t))
	doc, err := os.ReadFile(design)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(doc, []byte(beginBlock))
	j := bytes.Index(doc, []byte(endBlock))
	if i < 0 || j < i {
		t.Fatalf("%s has no package picture between %q and %q", design, beginBlock, endBlock)
	}
	got := string(doc[i+len(beginBlock) : j])
	if *update {
		doc = slices.Concat(doc[:i+len(beginBlock)], []byte(want), doc[j:])
		if err := os.WriteFile(filepath.Clean(design), doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != want {
		t.Errorf("docs/DESIGN.md's package picture is stale; run go test ./tests/arch -update\n--- in the document\n%s--- from go list\n%s", got, want)
	}
}

// TestArrows holds the rules the arrows follow.
func TestArrows(t *testing.T) {
	m := imports(t)
	only := map[string]func(importer string) bool{
		// The Ansible protocol stays in the commands: domain packages never import it.
		"internal/ansiblemod": func(p string) bool {
			return strings.HasPrefix(p, "cmd/") || p == "internal/ansiblemod/ansiblemodtest"
		},
		"internal/modutil": func(p string) bool { return strings.HasPrefix(p, "cmd/") },
		// go-plugin and gRPC stay out of the modules Ansible copies to every host.
		"sdk/proberplugin": func(p string) bool { return p == "cmd/cpuflags-prober-host" || strings.HasPrefix(p, "examples/") },
	}
	pure := map[string][]string{
		// The baseline is set arithmetic over data: no I/O packages.
		"internal/baseline": {"internal/cpumodels", "internal/editdist", "internal/featnames"},
		// refdata only locates ../shared/ref: generators of the lowest
		// packages (featnames/gen) use it, so it stays a leaf.
		"internal/refdata": {},
		// The prober SDK is what sites build on: its interface imports
		// nothing of this module, its go-plugin glue only the interface.
		"sdk/prober":       {},
		"sdk/proberplugin": {"sdk/prober"},
		// The example prober is a site's prober: the public SDK only.
		"examples/prober": {"sdk/prober", "sdk/proberplugin"},
	}
	for p := range pure {
		if _, ok := m[p]; !ok {
			t.Errorf("%s: no such package in go list; update the rules", p)
		}
	}
	for p, deps := range m {
		for _, d := range deps {
			if ok, ruled := only[d]; ruled && !ok(p) {
				t.Errorf("%s imports %s, which only its allowed importers may", p, d)
			}
			if strings.HasPrefix(d, "cmd/") {
				t.Errorf("%s imports the command %s", p, d)
			}
		}
	}
	for p, allowed := range pure {
		for _, d := range m[p] {
			if !slices.Contains(allowed, d) {
				t.Errorf("%s imports %s; it may import only %v", p, d, allowed)
			}
		}
	}
}
