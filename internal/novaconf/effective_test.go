package novaconf

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEffectiveCPU reads real files in oslo.config's order: per option the
// last file that sets it wins (either spelling of the models option), a
// --config-dir is read by name, files listed before nova.conf come before it.
func TestEffectiveCPU(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	main := write("nova.conf", "[libvirt]\ncpu_mode = host-model\ncpu_models = Westmere\n", t0)
	early := write("early.conf", "[libvirt]\ncpu_model_extra_flags = avx\n", t0)
	extra := write("nova-compute.conf", "[LIBVIRT]\ncpu_mode = custom\n", t0.Add(time.Minute))
	write("conf.d/20-b.conf", "[libvirt]\ncpu_model = Nehalem\n", t0)
	write("conf.d/10-a.conf", "[libvirt]\ncpu_model_extra_flags = pcid, x2apic\n", t0)
	write("conf.d/30-c.txt", "[libvirt]\ncpu_mode = none\n", t0.Add(time.Hour)) // not *.conf: not read
	confd := filepath.Join(dir, "conf.d")
	if err := os.Chtimes(confd, t0.Add(2*time.Minute), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}

	got, err := EffectiveCPU(main, []string{early, main, extra, confd, filepath.Join(dir, "missing.conf")})
	if err != nil {
		t.Fatal(err)
	}
	want := Effective{
		CPU: CPUSettings{Mode: "custom", Models: []string{"Nehalem"}, ModelsKey: KeyModelLegacy, ExtraFlags: []string{"pcid", "x2apic"},
			Present: map[string]bool{KeyMode: true, KeyModels: true, KeyExtraFlags: true}},
		From:  map[string]string{KeyMode: extra, KeyModels: filepath.Join(confd, "20-b.conf"), KeyExtraFlags: filepath.Join(confd, "10-a.conf")},
		Files: []string{early, main, extra, filepath.Join(confd, "10-a.conf"), filepath.Join(confd, "20-b.conf")},
		// The directory's time counts (a file added or removed there).
		Newest: t0.Add(2 * time.Minute),
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("EffectiveCPU (-want +got):\n%s", diff)
	}

	// nova.conf not among the others: it is read first.
	got, err = EffectiveCPU(main, []string{early})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{main, early}, got.Files); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if _, err := EffectiveCPU(main, []string{write("bad.conf", "[libvirt\n", t0)}); err == nil {
		t.Error("a file that does not parse is not an error")
	}
}
