package ansiblemod

import (
	"context"
	"testing"
)

// FuzzParseArgs feeds arbitrary args-file bytes through the whole pipeline
// (parse, validate, run the example module, encode): it must never panic
// and must always produce exactly one JSON object with a consistent failed key.
func FuzzParseArgs(f *testing.F) {
	for _, seed := range []string{
		`{"name":"x"}`,
		`{"who":"x","tags":"a,b","count":"3","force":"on","_ansible_check_mode":true,"_ansible_diff":true}`,
		`{"ANSIBLE_MODULE_ARGS":{"name":"x","password":"p"}}`,
		`{"name":"x","password":"x","token":"y"}`,
		`{"name":"x","state":"absent"}`,
		`{"name":"x","_ansible_verbosity":"3","_ansible_no_log":"yes"}`,
		`{"name":{"a":1},"count":1e400}`,
		`[1,2]`, `null`, ``, `{"name":"x"} junk`, "{\"name\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, failed := handle(context.Background(), helloSpec, "hello", "args.json", data, quietHello)
		obj := decodeOne(t, out)
		if got, _ := obj["failed"].(bool); got != failed {
			t.Fatalf("failed key %v disagrees with exit status %v: %s", obj["failed"], failed, out)
		}
		if msg, ok := obj["msg"].(string); failed && (!ok || msg == "") {
			t.Fatalf("a failure must carry a msg: %s", out)
		}
		assertNoReservedKeys(t, obj)
	})
}

// quietHello reads every parameter through the accessors without printing.
func quietHello(_ context.Context, m *Module, r *Result) error {
	r.Msg = m.Str("name") + m.Str("greeting") + m.Str("state") + m.Str("password") + m.Str("token")
	r.Set("n", m.Int("count"))
	r.Set("tags", m.List("tags"))
	r.Changed = m.Bool("force")
	return nil
}
