package demodata

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

const manifest = "../../examples/demo/cpus/MANIFEST.tsv"

func TestDemoCopiesMatchReference(t *testing.T) {
	entries, err := ReadManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 4 {
		t.Fatalf("demo manifest lists %d hosts; the demo needs several generations of both vendors", len(entries))
	}
	for _, e := range entries {
		want, err := os.ReadFile(refdata.Path(t, "samples", e.Sample))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(filepath.Dir(manifest), e.Sample))
		if err != nil {
			t.Fatalf("%s: %v (run go generate ./internal/demodata)", e.Host, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %s differs from the reference sample; run go generate ./internal/demodata", e.Host, e.Sample)
		}
	}
}

func TestReadManifestRejectsShortRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.tsv")
	if err := os.WriteFile(path, []byte("host\tgroup\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManifest(path); err == nil {
		t.Fatal("a row with 2 fields was accepted")
	}
}
