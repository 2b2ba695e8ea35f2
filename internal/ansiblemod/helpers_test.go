package ansiblemod

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// decodeOne checks that out is exactly one JSON object (plus whitespace)
// and returns it.
func decodeOne(t testing.TB, out []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("output has data after the JSON object: %q", out)
	}
	if obj == nil {
		t.Fatalf("output is null, want an object: %q", out)
	}
	return obj
}

// handleJSON runs the pipeline on an args document and returns the result.
func handleJSON(t testing.TB, spec Spec, args string, fn Func) (map[string]any, bool) {
	t.Helper()
	out, failed := handle(context.Background(), spec, spec.Name, "args.json", []byte(args), fn)
	obj := decodeOne(t, out)
	if got, _ := obj["failed"].(bool); got != failed {
		t.Fatalf("failed key %v disagrees with the failure flag %v: %s", obj["failed"], failed, out)
	}
	return obj, failed
}

func noop(context.Context, *Module, *Result) error { return nil }

func assertNoReservedKeys(t testing.TB, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if strings.HasPrefix(k, "_ansible_") {
				t.Errorf("output contains reserved key %q", k)
			}
			assertNoReservedKeys(t, val)
		}
	case []any:
		for _, e := range x {
			assertNoReservedKeys(t, e)
		}
	}
}

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }

func jsonNumber(s string) json.Number { return json.Number(s) }
