package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cpuflags": func() { os.Exit(main1()) },
	})
}

// TestScripts runs the CLI as a real command against the scripts in
// testdata/script: each holds the command lines, inputs and expected output.
func TestScripts(t *testing.T) {
	ref := refdata.MustFind(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLES", ref+"/samples")
			return nil
		},
	})
}

func TestHostName(t *testing.T) {
	tests := []struct {
		path, want, reason string
	}{
		{"/x/source.flags-lscpu.sorted", "source", "the manual procedure's capture files"},
		{"rome-01.lscpu.json", "rome-01", "lscpu -J captures"},
		{"bdw.cpuinfo", "bdw", "/proc/cpuinfo captures"},
		{"plain", "plain", "no known suffix keeps the whole name"},
		{".cpuinfo", ".cpuinfo", "a bare suffix is not stripped to nothing"},
	}
	for _, tt := range tests {
		if got := hostName(tt.path); got != tt.want {
			t.Errorf("hostName(%q) = %q, want %q (%s)", tt.path, got, tt.want, tt.reason)
		}
	}
}
