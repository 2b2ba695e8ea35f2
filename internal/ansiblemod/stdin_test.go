package ansiblemod

import (
	"context"
	"strings"
	"testing"
)

// "-" as the arguments path reads the arguments from standard input (the
// collection's action plugin sends them so: no arguments file to copy).
func TestArgumentsFromStdin(t *testing.T) {
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = strings.NewReader(`{"name": "from-stdin", "_ansible_check_mode": true}`)
	out, failed := execute(context.Background(), helloSpec, []string{"mod", "-"}, func(_ context.Context, m *Module, r *Result) error {
		r.Msg = "hello " + m.Str("name")
		if !m.CheckMode {
			t.Error("check mode from stdin arguments was lost")
		}
		return nil
	})
	if failed || !strings.Contains(string(out), "hello from-stdin") {
		t.Fatalf("failed %v, result %s", failed, out)
	}
	stdin = strings.NewReader(strings.Repeat(" ", maxArgsSize+1))
	out, failed = execute(context.Background(), helloSpec, []string{"mod", "-"}, noop)
	if !failed || !strings.Contains(string(out), "more than") {
		t.Fatalf("oversized standard input: failed %v, result %s", failed, out)
	}
}
