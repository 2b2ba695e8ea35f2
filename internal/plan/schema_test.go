package plan

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSchemaMatchesType keeps docs/plan.schema.json and the Go types in
// step: every JSON field of a type is a property of its schema object, no
// property lacks a field, and exactly the fields without omitempty are
// required.
func TestSchemaMatchesType(t *testing.T) {
	data, err := os.ReadFile("../../docs/plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatalf("docs/plan.schema.json: %v", err)
	}
	obj := func(path ...string) map[string]any {
		cur := root
		for _, p := range path {
			next, ok := cur[p].(map[string]any)
			if !ok {
				t.Fatalf("schema has no %s", strings.Join(path, "."))
			}
			cur = next
		}
		return cur
	}
	cases := []struct {
		name   string
		typ    any
		schema map[string]any
	}{
		{"Plan", Plan{}, root},
		{"Product", Product{}, obj("properties", "product")},
		{"Request", Request{}, obj("properties", "request")},
		{"Nova", Nova{}, obj("properties", "nova")},
		{"Host", Host{}, obj("$defs", "host")},
		{"CPU", CPU{}, obj("$defs", "host", "properties", "cpu")},
		{"Prediction", Prediction{}, obj("$defs", "host", "properties", "prediction")},
	}
	for _, c := range cases {
		fields, required := jsonFields(reflect.TypeOf(c.typ))
		props := keys(c.schema["properties"].(map[string]any))
		if diff := cmp.Diff(fields, props); diff != "" {
			t.Errorf("%s fields vs schema properties (-Go +schema):\n%s", c.name, diff)
		}
		var req []string
		if r, ok := c.schema["required"].([]any); ok {
			for _, x := range r {
				req = append(req, x.(string))
			}
		}
		sort.Strings(req)
		if diff := cmp.Diff(required, req); diff != "" {
			t.Errorf("%s required (-Go +schema):\n%s", c.name, diff)
		}
		if c.schema["additionalProperties"] != false {
			t.Errorf("%s: the schema must refuse unknown properties, as Decode does", c.name)
		}
	}
	props := obj("properties")
	if got := props["kind"].(map[string]any)["const"]; got != Kind {
		t.Errorf("schema kind %v, want %s", got, Kind)
	}
	if got := props["schema_version"].(map[string]any)["const"]; got != float64(SchemaVersion) {
		t.Errorf("schema version %v, want %d", got, SchemaVersion)
	}
}

func jsonFields(t reflect.Type) (all, required []string) {
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	sort.Strings(all)
	sort.Strings(required)
	return all, required
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestVersion1Reads: a plan written by schema version 1 (no
// assumed_libvirt, no prediction, empty disabled_flags) still decodes:
// every field version 2 adds is optional and means what version 1 did.
func TestVersion1Reads(t *testing.T) {
	p := &Plan{Kind: Kind, SchemaVersion: 1, Created: "2025-01-01T00:00:00Z", Model: "Westmere", ModelSource: "recommended",
		Flags: []string{}, DisabledFlags: []string{}, Blockers: map[string][]string{}, Warnings: []string{},
		Hosts: map[string]Host{"hv1": {View: "cpuinfo", Features: []string{"sse2"}}}}
	h := p.Hosts["hv1"]
	h.Fingerprint = h.fingerprint()
	p.Hosts["hv1"] = h
	if err := p.seal(); err != nil {
		t.Fatal(err)
	}
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "assumed_libvirt") || strings.Contains(string(data), "prediction") {
		t.Fatalf("a version 1 plan must not carry version 2 fields:\n%s", data)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatalf("version 1 plan refused: %v", err)
	}
	if got.SchemaVersion != 1 || got.AssumedLibvirt != "" {
		t.Errorf("decoded %+v", got)
	}
}
