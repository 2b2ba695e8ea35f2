package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cpu_flags_facts": func() { os.Exit(ansiblemod.Run(spec, os.Args, run)) },
	})
}

// TestModule runs the module as Ansible does: a real process given the path
// of a JSON arguments file, printing one JSON object.
func TestModule(t *testing.T) {
	ref := refdata.MustFind(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLES", ref+"/samples")
			return nil
		},
	})
}
