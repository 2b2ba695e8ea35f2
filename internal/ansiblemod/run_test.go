package ansiblemod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNoLogCensoring(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	tests := []struct {
		name   string
		reason string
		args   string
		fn     Func
	}{
		{"in msg warnings extra and diff", "every string in the result is censored",
			`{"name":"h","password":"` + secret + `","_ansible_diff":true}`,
			func(_ context.Context, m *Module, r *Result) error {
				p := m.Str("password")
				r.Msg = "using " + p
				r.Warn("warning mentions %s", p)
				r.Set("nested", map[string]any{"list": []any{p, "x" + p + "y"}, p: 1})
				r.Set("strct", struct{ Pass string }{p})
				r.AddDiff(DiffEntry{Before: p, After: "new"})
				r.Facts = map[string]any{"f": p}
				return nil
			}},
		{"in error", "failure messages and fields are censored",
			`{"name":"h","password":"` + secret + `"}`,
			func(_ context.Context, m *Module, _ *Result) error {
				return WithFields(fmt.Errorf("login with %q refused", m.Str("password")), map[string]any{"tried": m.Str("password")})
			}},
		{"in panic", "panic messages are censored",
			`{"name":"h","password":"` + secret + `","_ansible_verbosity":4}`,
			func(_ context.Context, m *Module, _ *Result) error { panic("bad " + m.Str("password")) }},
		{"invalid value of secret parameter", "validation messages do not echo secrets",
			`{"name":"h","token":["` + secret + `"],"password":"x"}`, noop},
		{"via alias in a list", "leaves of structured secrets are censored",
			`{"name":"h","token":"` + secret + `"}`,
			func(_ context.Context, _ *Module, r *Result) error { r.Msg = secret + secret; return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := handle(context.Background(), helloSpec, "hello", "args.json", []byte(tc.args), tc.fn)
			decodeOne(t, out)
			if bytes.Contains(out, []byte(secret)) || bytes.Contains(out, []byte("s3cr3t")) {
				t.Fatalf("%s: secret leaked:\n%s", tc.reason, out)
			}
			if !bytes.Contains(out, []byte(NoLogMarker)) && !bytes.Contains(out, []byte(NoLogValue)) {
				t.Fatalf("%s: no censoring marker in output:\n%s", tc.reason, out)
			}
		})
	}
}

func TestInvocationCensored(t *testing.T) {
	obj, failed := handleJSON(t, helloSpec, `{"who":"h","password":"pw-123"}`, noop)
	if failed {
		t.Fatal(obj["msg"])
	}
	args := obj["invocation"].(map[string]any)["module_args"].(map[string]any)
	if args["password"] != NoLogValue || args["name"] != "h" || args["token"] != nil {
		t.Fatalf("module_args must hold canonical names and censor no_log values: %v", args)
	}
	obj, _ = handleJSON(t, helloSpec, `{"who":"h","_ansible_no_log":true}`, noop)
	if _, ok := obj["invocation"]; ok {
		t.Fatalf("with _ansible_no_log the invocation is left out: %v", obj)
	}
}

func TestResultShape(t *testing.T) {
	fn := func(_ context.Context, _ *Module, r *Result) error {
		r.Changed = true
		r.Msg = "ok"
		r.Facts = map[string]any{"cpu": "x"}
		r.AddDiff(DiffEntry{Before: "a\n", After: "b\n", BeforeHeader: "f", AfterHeader: "f"})
		r.Warn("w%d", 1)
		r.Deprecations = append(r.Deprecations, Deprecation{Msg: "old", Version: "2.0.0", CollectionName: "kvm_migration.cpu_flags"})
		r.Set("flags", []string{"vmx"})
		r.Set("_ansible_no_log", true)
		r.Set("failed", true)
		r.Set("deep", map[string]any{"_ansible_x": 1, "k": 2})
		return nil
	}
	obj, failed := handleJSON(t, Spec{Name: "shape"}, `{"_ansible_diff":true}`, fn)
	want := map[string]any{
		"changed": true, "msg": "ok", "ansible_facts": map[string]any{"cpu": "x"},
		"diff":         map[string]any{"before": "a\n", "after": "b\n", "before_header": "f", "after_header": "f"},
		"deprecations": []any{map[string]any{"msg": "old", "version": "2.0.0", "collection_name": "kvm_migration.cpu_flags"}},
		"flags":        []any{"vmx"},
		"deep":         map[string]any{"k": json2},
		"invocation":   map[string]any{"module_args": map[string]any{}},
		"warnings": []any{"w1",
			`module shape set reserved result key "_ansible_no_log" through Extra; it was dropped`,
			`module shape set reserved result key "failed" through Extra; it was dropped`},
	}
	if diff := cmp.Diff(want, obj); diff != "" || failed {
		t.Fatalf("result (-want +got), failed=%v:\n%s", failed, diff)
	}
	obj, _ = handleJSON(t, Spec{Name: "shape"}, `{}`, fn)
	if _, ok := obj["diff"]; ok {
		t.Fatalf("diff must only be emitted in diff mode: %v", obj)
	}
}

var json2 = jsonNumber("2")

func TestFailureKeepsResultAndFields(t *testing.T) {
	base := errors.New("nova-compute rejected flags")
	obj, failed := handleJSON(t, Spec{Name: "f"}, `{}`, func(_ context.Context, _ *Module, r *Result) error {
		r.Changed = true
		r.Warn("partial")
		return fmt.Errorf("probe: %w", WithFields(base, map[string]any{"rejected": []string{"avx512f"}, "msg": "x"}))
	})
	if !failed || obj["failed"] != true || obj["changed"] != true || obj["msg"] != "probe: nova-compute rejected flags" {
		t.Fatalf("failure must keep changed and carry msg: %v", obj)
	}
	if diff := cmp.Diff([]any{"avx512f"}, obj["rejected"]); diff != "" {
		t.Fatalf("fields of a wrapped FailError are added:\n%s", diff)
	}
	if ws := fmt.Sprint(obj["warnings"]); !strings.Contains(ws, "partial") || !strings.Contains(ws, `reserved result key "msg"`) {
		t.Fatalf("warnings: %v", ws)
	}
	obj, _ = handleJSON(t, Spec{Name: "f"}, `{}`, func(context.Context, *Module, *Result) error { return errors.New(" ") })
	if obj["msg"] != "module f failed without a message" {
		t.Fatalf("empty error message must be replaced: %v", obj["msg"])
	}
}

func TestPanicRecovery(t *testing.T) {
	boom := func(context.Context, *Module, *Result) error {
		var m map[string]int
		//lint:ignore SA5000 the runtime panic is what this test recovers from
		m["x"] = 1
		return nil
	}
	obj, failed := handleJSON(t, Spec{Name: "p"}, `{}`, boom)
	want := "module p crashed (panic: assignment to entry in nil map); this is a bug in the module, please report it with the task that triggered it (run with -vvv for the stack trace in 'exception')"
	if !failed || obj["msg"] != want {
		t.Fatalf("msg %q, want %q", obj["msg"], want)
	}
	if _, ok := obj["exception"]; ok {
		t.Fatal("no stack trace below -vvv")
	}
	obj, _ = handleJSON(t, Spec{Name: "p"}, `{"_ansible_verbosity":3}`, boom)
	if exc, _ := obj["exception"].(string); !strings.Contains(exc, "goroutine") || !strings.Contains(exc, "TestPanicRecovery") {
		t.Fatalf("at -vvv the stack trace is in exception: %v", obj["exception"])
	}
	// Misusing an accessor panics and is reported the same way.
	obj, _ = handleJSON(t, Spec{Name: "p"}, `{}`, func(_ context.Context, m *Module, _ *Result) error { m.Str("nope"); return nil })
	if msg, _ := obj["msg"].(string); !strings.Contains(msg, `reads parameter "nope", which is not in its spec`) {
		t.Fatalf("accessor misuse: %v", msg)
	}
}

func TestUnencodableResult(t *testing.T) {
	obj, failed := handleJSON(t, Spec{Name: "u"}, `{}`, func(_ context.Context, _ *Module, r *Result) error {
		r.Set("ch", make(chan int))
		return nil
	})
	if msg, _ := obj["msg"].(string); !failed || !strings.Contains(msg, "cannot be encoded as JSON") {
		t.Fatalf("unencodable result: %v", obj)
	}
}

// TestStdoutGuard runs the junk module as a real process: whatever it
// prints (fmt.Println, os.Stdout, write(1), child processes), its stdout must
// hold exactly the one result object, and the junk must reach stderr.
func TestStdoutGuard(t *testing.T) {
	bin, err := exec.LookPath("junkmod")
	if err != nil {
		t.Fatalf("testscript did not install junkmod in PATH: %v", err)
	}
	args := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(args, []byte(`{"_ansible_check_mode":false}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("junkmod: %v\nstderr: %s", err, stderr.String())
	}
	want := `{"answer":42,"changed":false,"invocation":{"module_args":{}},"msg":"done"}` + "\n"
	if stdout.String() != want {
		t.Fatalf("stdout:\n%q\nwant\n%q", stdout.String(), want)
	}
	for _, junk := range []string{"junk via fmt.Println", "via os.Stdout", "junk via fd 1", "junk from a child process", "more"} {
		if !strings.Contains(stderr.String(), junk) {
			t.Errorf("stderr lacks %q:\n%s", junk, stderr.String())
		}
	}
}

func TestStdoutGuardFailureExitCode(t *testing.T) {
	bin, err := exec.LookPath("hello")
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd := exec.Command(bin, filepath.Join(t.TempDir(), "missing.json"))
	cmd.Stdout = &stdout
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("a failure exits 1, got %v", err)
	}
	obj := decodeOne(t, stdout.Bytes())
	if obj["failed"] != true {
		t.Fatalf("failed must be explicit: %v", obj)
	}
}
