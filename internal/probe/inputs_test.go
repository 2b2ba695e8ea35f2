package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

// A nova.conf as Debian's nova-compute package leaves it, trimmed.
const packageConf = `[DEFAULT]
transport_url = rabbit://nova:Rabbit-Secret@rabbit1:5672/
compute_driver = libvirt.LibvirtDriver

[libvirt]
virt_type = kvm
cpu_mode = host-model
`

func TestNovaReleaseDecidesTheOptionNames(t *testing.T) {
	for _, tc := range []struct{ version, key string }{
		{"19.3.2", novaconf.KeyModelLegacy}, // Stein: before Train's cpu_models
		{"2:19.0.0-0ubuntu1", novaconf.KeyModelLegacy},
		{"20.0.0", novaconf.KeyModels}, // Train
		{"26.2.1", novaconf.KeyModels},
		{"", novaconf.KeyModels}, // unknown: today's name
	} {
		if got := modelsKey(tc.version); got != tc.key {
			t.Errorf("modelsKey(%q) = %q, want %q", tc.version, got, tc.key)
		}
	}
	out, err := RenderCPU([]byte(packageConf), "Westmere", []string{"pcid"}, modelsKey("19.3.2"))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); !strings.Contains(s, "\ncpu_model = Westmere\n") || strings.Contains(s, "cpu_models") {
		t.Errorf("a pre-Train nova.conf must get cpu_model, not cpu_models:\n%s", s)
	}
}

func TestPrefixedFlagsNeedWallaby(t *testing.T) {
	cands, _ := Normalize([]string{"pcid", "-hle", "+ssbd"})
	err := checkRelease("22.2.2", cands) // Victoria
	if err == nil || !strings.Contains(err.Error(), "the installed Nova 22.2.2 takes cpu_model_extra_flags without +/-") ||
		!strings.Contains(err.Error(), "-hle, +ssbd") || !strings.Contains(err.Error(), "23.0.0") {
		t.Errorf("Victoria with -hle: got %v", err)
	}
	for _, v := range []string{"23.0.0", "26.2.1", ""} {
		if err := checkRelease(v, cands); err != nil {
			t.Errorf("Nova %q reads +/- prefixes, got %v", v, err)
		}
	}
	plain, _ := Normalize([]string{"pcid"})
	if err := checkRelease("19.0.0", plain); err != nil {
		t.Errorf("unprefixed flags are fine on any release: %v", err)
	}
}

func TestSetCPUErrorsSayTheirPrefixOnce(t *testing.T) {
	_, err := RenderCPU([]byte(packageConf), "", nil, "")
	if err == nil {
		t.Fatal("an empty model was accepted")
	}
	if n := strings.Count(err.Error(), "set [libvirt] CPU options"); n != 1 {
		t.Errorf("prefix printed %d times: %v", n, err)
	}
}

// oslo.config reads nova.conf.d/ and nova-compute.conf.d/ after every
// --config-file (find_config_dirs): an override there is found without the
// operator listing it, when nova.conf is where packages put it.
func TestOverrideInDefaultConfigDirIsFound(t *testing.T) {
	root := t.TempDir()
	etc := filepath.Join(root, "etc", "nova")
	for _, d := range []string{filepath.Join(etc, "nova.conf.d"), filepath.Join(root, "etc", "nova-compute.conf.d")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(etc, "nova.conf")
	if err := os.WriteFile(conf, []byte(packageConf), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "nova-compute.conf.d", "90-cpu.conf"), []byte("[libvirt]\ncpu_models = Haswell\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dirs := DefaultConfigDirs(root, "")
	if len(dirs) != 2 || dirs[0] != filepath.Join(etc, "nova.conf.d") || dirs[1] != filepath.Join(root, "etc", "nova-compute.conf.d") {
		t.Fatalf("DefaultConfigDirs = %v", dirs)
	}

	o := Options{Model: "Westmere", Candidates: []string{"pcid"}, Strategy: StrategyAuto, ConfPath: conf,
		Service: novaservice.Spec{Kind: novaservice.KindCommand, RestartCommand: []string{"false"}, StatusCommand: []string{"true"}, LogPath: "/dev/null"},
		Models:  func(context.Context) ([]string, error) { return []string{"Westmere"}, nil }}
	if _, _, err := Prepare(context.Background(), &o, Setup{NovaCheck: "none", Root: root}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "90-cpu.conf") || !strings.Contains(err.Error(), "would have no effect") {
		t.Errorf("override in nova-compute.conf.d not reported: %v", err)
	}
	if got, _ := os.ReadFile(conf); string(got) != packageConf {
		t.Errorf("nova.conf changed:\n%s", got)
	}
}

func TestUnknownModelOffersTheClosestNames(t *testing.T) {
	list := func(context.Context) ([]string, error) {
		return []string{"Westmere", "Westmere-IBRS", "EPYC", "EPYC-IBPB", "Haswell"}, nil
	}
	_, err := checkModel(context.Background(), "westmere-ibrs", list)
	if err == nil || !strings.Contains(err.Error(), "did you mean Westmere-IBRS") {
		t.Errorf("case-misspelt model: %v", err)
	}
	if _, err := checkModel(context.Background(), "EPYC-IBPB", list); err != nil {
		t.Errorf("a model libvirt lists was refused: %v", err)
	}
	note, err := checkModel(context.Background(), "Westmere", func(context.Context) ([]string, error) { return nil, os.ErrNotExist })
	if err != nil || !strings.Contains(note, "built-in catalog") {
		t.Errorf("libvirt silent: want the catalog's answer with a note, got %q, %v", note, err)
	}
}
