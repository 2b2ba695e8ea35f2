package ansiblemod

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary double as the example modules: testscript
// installs it under the names below and scripts (and TestStdoutGuard) run
// it as a real process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hello":   func() { os.Exit(Run(helloSpec, os.Args, helloRun)) },
		"junkmod": func() { os.Exit(Run(junkSpec, os.Args, junkRun)) },
	})
}

// helloSpec and helloRun are the tiny example module used end to end.
var helloSpec = Spec{
	Name: "hello",
	Params: map[string]Param{
		"name":     {Required: true, Aliases: []string{"who"}, Description: "whom to greet"},
		"greeting": {Default: "Hello"},
		"state":    {Default: "present", Choices: []string{"present", "absent"}},
		"count":    {Type: TypeInt, Default: 1},
		"tags":     {Type: TypeList},
		"force":    {Type: TypeBool, Default: false},
		"password": {NoLog: true},
		"token":    {NoLog: true},
	},
	SupportsCheckMode: true,
	MutuallyExclusive: [][]string{{"password", "token"}},
	RequiredIf:        []RequiredIf{{Param: "state", Value: "absent", Requires: []string{"force"}}},
}

func helloRun(_ context.Context, m *Module, r *Result) error {
	fmt.Println("stray print from the hello module")
	if m.Str("state") == "absent" {
		r.Msg = "nothing to remove"
		return nil
	}
	if m.Int("count") < 1 {
		return WithFields(fmt.Errorf("count must be at least 1, got %d; set count: 1 or more", m.Int("count")), map[string]any{"count": m.Int("count")})
	}
	greet := fmt.Sprintf("%s, %s!", m.Str("greeting"), m.Str("name"))
	r.Changed = true
	r.Msg = greet
	r.Set("tags", m.List("tags"))
	if m.Str("password") != "" {
		r.Set("login", "logged in with "+m.Str("password"))
	}
	r.AddDiff(DiffEntry{Before: "", After: greet + "\n", BeforeHeader: "greeting", AfterHeader: "greeting"})
	r.Facts = map[string]any{"hello_greeting": greet}
	return nil
}

// junkSpec/junkRun write to stdout in every way a module might.
var junkSpec = Spec{Name: "junkmod", Params: map[string]Param{}}

func junkRun(_ context.Context, _ *Module, r *Result) error {
	fmt.Println("junk via fmt.Println")
	fmt.Fprintln(os.Stdout, `{"junk": "via os.Stdout"}`)
	_, _ = syscall.Write(1, []byte("junk via fd 1\n"))
	cmd := exec.Command("sh", "-c", "echo junk from a child process; echo more >&1")
	cmd.Stdout = os.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("run child: %w", err)
	}
	inherit := exec.Command("sh", "-c", "echo junk from a child writing to its fd 1 >/proc/self/fd/1 2>/dev/null || echo junk2")
	inherit.Stdout = os.Stdout
	_ = inherit.Run()
	r.Msg = "done"
	r.Set("answer", 42)
	return nil
}
