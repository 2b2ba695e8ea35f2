package main

import (
	"flag"
	"os"
	"slices"
	"strconv"
	"strings"
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
			env.Setenv("CPUTESTDATA", ref+"/libvirt/cputestdata")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"replace": cmdReplace,
		},
	})
}

// cmdReplace is the script command "replace FILE OLD NEW": it replaces every
// OLD in FILE by NEW (Go-quoted strings allowed), failing when FILE has no
// OLD, so a script cannot silently test an unchanged capture.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	unq := func(s string) string {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	old, repl := unq(args[1]), unq(args[2])
	if !strings.Contains(string(data), old) {
		ts.Fatalf("%s has no %q", args[0], old)
	}
	ts.Check(os.WriteFile(path, []byte(strings.ReplaceAll(string(data), old, repl)), 0o644))
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

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string
		wantOut string
		reason  string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, "", "positional only"},
		{[]string{"--out", "d", "a"}, []string{"a"}, "d", "flags first, as the flag package expects"},
		{[]string{"a", "--out", "d", "b"}, []string{"a", "b"}, "d", "a flag between files"},
		{[]string{"a", "b", "--out=d"}, []string{"a", "b"}, "d", "a flag after the files"},
		{[]string{"a", "--", "--out", "d"}, []string{"a", "--out", "d"}, "", "-- ends the flags"},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		out := fs.String("out", "", "")
		got, err := parseInterspersed(fs, tt.args)
		if err != nil || !slices.Equal(got, tt.want) || *out != tt.wantOut {
			t.Errorf("%v: got %v out=%q err=%v, want %v out=%q (%s)", tt.args, got, *out, err, tt.want, tt.wantOut, tt.reason)
		}
	}
}
