package novaconf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "in", "*.conf"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "[libvirt]", "[libvirt]\ncpu_mode = \"\n", "[libvirt]\rcpu_mode=x\r\n  y", "[a]\n  x", "[]", "[libvirt]\ncpu_model=a\ncpu_models=b\n", "[LİBVIRT]\ncpu_mode=none"} {
		f.Add([]byte(s))
	}
}

// FuzzParse: no panics; errors never quote the input.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := Parse(data)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error of type %T", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		_ = pf.CPU()
		_ = pf.Warnings()
	})
}

// FuzzRoundTrip: for a parsable input, SetCPU changes only managed lines,
// makes the wanted values effective and is idempotent; Diff never shows a
// non-managed line.
func FuzzRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := Parse(data)
		if err != nil {
			return
		}
		for _, want := range []CPUSettings{
			wantCustom,
			{Mode: "host-model", Present: map[string]bool{KeyMode: true, KeyModels: false}},
			{ExtraFlags: []string{"-x"}, Present: map[string]bool{KeyExtraFlags: true}},
		} {
			out, changed, err := pf.SetCPU(want)
			if err != nil {
				if strings.Contains(err.Error(), "internal error") {
					t.Fatalf("SetCPU: %v", err)
				}
				continue
			}
			if changed == bytes.Equal(out, data) {
				t.Fatalf("changed=%v but equal=%v", changed, bytes.Equal(out, data))
			}
			if err := sameUnmanaged(data, out); err != nil {
				t.Fatalf("non-managed lines changed: %v\nin  %q\nout %q", err, data, out)
			}
			checkInvariants(t, data, out, want)
			// every line Diff prints is a managed line, header or blank of either side
			allowed := map[string]bool{"": true}
			for _, side := range [][]byte{data, out} {
				sf, _ := Parse(side)
				for _, ln := range sf.lines {
					if ln.kind == kindSection || ((ln.kind == kindKey || ln.kind == kindCont) && sf.managed(ln.entry)) || ln.kind == kindBlank {
						allowed[string(side[ln.start:ln.end])] = true
					}
				}
			}
			for _, l := range strings.Split(Diff("f", data, out), "\n") {
				if l == "" || strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ") || strings.HasPrefix(l, "@@ ") || strings.HasPrefix(l, "# ") {
					continue
				}
				body := l[1:]
				if strings.HasPrefix(body, "<hidden line ") {
					continue
				}
				if !allowed[body] {
					t.Fatalf("diff shows a non-managed line %q", body)
				}
			}
		}
	})
}
