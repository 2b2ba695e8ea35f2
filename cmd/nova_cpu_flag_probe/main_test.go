package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"nova_cpu_flag_probe": func() { os.Exit(main1()) },
	})
}

var (
	pluginOnce sync.Once
	pluginDir  string
	pluginErr  error
)

// buildPlugins builds the plugin host and the example prober once.
func buildPlugins(t *testing.T) string {
	pluginOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cpuflags-plugins-")
		if err != nil {
			pluginErr = err
			return
		}
		pluginDir = dir
		// The example prober is a Go module of its own: built in its directory.
		for out, src := range map[string]struct{ dir, pkg string }{
			"cpuflags-prober-host":       {".", "../cpuflags-prober-host"},
			"cpuflags-plugin-sitepolicy": {"../../examples/prober", "."},
		} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), src.pkg)
			cmd.Dir = src.dir
			if b, err := cmd.CombinedOutput(); err != nil {
				pluginErr = err
				t.Logf("go build %s in %s: %s", src.pkg, src.dir, b)
				return
			}
		}
	})
	if pluginErr != nil {
		t.Fatalf("build plugins: %v", pluginErr)
	}
	return pluginDir
}

// TestModule runs the module as Ansible does, against a temporary nova.conf
// and testdata/fake-nova-compute.sh (a FAKE nova-compute that refuses the
// flags listed in $WORK/bad-flags the way the real one logs it).
func TestModule(t *testing.T) {
	fake, err := filepath.Abs("testdata/fake-nova-compute.sh")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("FAKE_NOVA", fake)
			if filepath.Base(env.WorkDir) != "" && os.Getenv("CPUFLAGS_SKIP_PLUGIN") == "" {
				env.Setenv("PLUGIN_DIR", buildPlugins(t))
			}
			return nil
		},
	})
}
