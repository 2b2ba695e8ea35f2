package cpumodels

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// LoadFeatures reads the same feature names as LoadDir from a real cpu_map
// without reading its model files.
func TestLoadFeaturesMatchesLoadDir(t *testing.T) {
	dir := refdata.Path(t, "libvirt", "cpu_map")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no cpu_map in the reference data: %v", err)
	}
	full, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := LoadFeatures(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(full.FeatureNames(), feats.FeatureNames()) || feats.Source != full.Source {
		t.Fatalf("LoadFeatures: %d features (source %q), LoadDir: %d (%q)", len(feats.FeatureNames()), feats.Source, len(full.FeatureNames()), full.Source)
	}
	if len(feats.Models) != 0 {
		t.Errorf("LoadFeatures parsed %d models", len(feats.Models))
	}
	// A cpu_map whose model files are broken still gives its features:
	// they are not read.
	tmp := t.TempDir()
	for _, f := range []string{"index.xml", "x86_vendors.xml", "x86_features.xml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := LoadFeatures(tmp)
	if err != nil || len(got.FeatureNames()) != len(full.FeatureNames()) {
		t.Fatalf("without model files: %v, %d features", err, len(got.FeatureNames()))
	}
}
