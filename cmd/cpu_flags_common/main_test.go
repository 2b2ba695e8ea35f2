package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cpu_flags_common": func() { os.Exit(ansiblemod.Run(spec, os.Args, run)) },
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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"args": cmdArgs,
		},
	})
}

// cmdArgs is the script command "args OUT BASE.json HOST=CAPTURE...": it
// writes the module's arguments file OUT: the JSON object in BASE.json with
// "facts" set to each host's facts, read from its capture by the same code
// cpu_flags_facts runs (what the gather role passes to the module).
// $VARS in BASE.json are expanded from the script's environment ($WORK).
func cmdArgs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: args OUT BASE.json HOST=CAPTURE...")
	}
	var obj map[string]any
	ts.Check(json.Unmarshal([]byte(os.Expand(ts.ReadFile(args[1]), ts.Getenv)), &obj))
	facts := map[string]any{}
	for _, a := range args[2:] {
		host, path, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("want HOST=CAPTURE, got %q", a)
		}
		f, err := hostfacts.Load(context.Background(), ts.MkAbs(path))
		ts.Check(err)
		data, err := json.Marshal(f)
		ts.Check(err)
		var v any
		ts.Check(json.Unmarshal(data, &v))
		facts[host] = v
	}
	obj["facts"] = facts
	out, err := json.Marshal(obj)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), out, 0o644))
}
