package proberwire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

func TestCodecRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	c := NewCodec(&buf, &buf)
	req := Request{Op: OpCheck, Trial: &prober.Trial{Model: "Westmere", Flags: []string{"pcid", "-x2apic"}, Check: prober.CheckCompareCPU, Options: map[string]string{"a": "b"}}}
	if err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	var got Request
	if err := c.Read(&got); err != nil {
		t.Fatal(err)
	}
	if got.Op != OpCheck || got.Trial.Model != "Westmere" || strings.Join(got.Trial.Flags, ",") != "pcid,-x2apic" || got.Trial.Options["a"] != "b" {
		t.Errorf("round trip: %+v", got)
	}
	if err := c.Read(&got); !errors.Is(err, io.EOF) {
		t.Errorf("want EOF at the end, got %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, reason string
		req          Request
		ok           bool
	}{
		{name: "info", reason: "needs nothing", req: Request{Op: OpInfo}, ok: true},
		{name: "check", reason: "has a model", req: Request{Op: OpCheck, Trial: &prober.Trial{Model: "M"}}, ok: true},
		{name: "check without trial", reason: "nothing to check", req: Request{Op: OpCheck}},
		{name: "check without model", reason: "model required", req: Request{Op: OpCheck, Trial: &prober.Trial{}}},
		{name: "unknown op", reason: "typo", req: Request{Op: "chek"}},
	}
	for _, tt := range tests {
		err := tt.req.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v (%s)", tt.name, err, tt.reason)
		}
		if err != nil && !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: error does not wrap ErrBadRequest", tt.name)
		}
	}
}

func TestReadBadLine(t *testing.T) {
	c := NewCodec(strings.NewReader("{not json\n"), io.Discard)
	var r Request
	if err := c.Read(&r); err == nil || !strings.Contains(err.Error(), "decode") {
		t.Errorf("want a decode error, got %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(`{"op":"check","trial":{"model":"Westmere","flags":["pcid"]}}` + "\n")
	f.Add(`{"op":"info"}`)
	f.Add("\n\n{")
	f.Fuzz(func(t *testing.T, in string) {
		c := NewCodec(strings.NewReader(in), io.Discard)
		for i := 0; i < 10; i++ {
			var r Request
			if err := c.Read(&r); err != nil {
				return
			}
			_ = r.Validate()
		}
	})
}
