package ansiblemod

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testSpec = Spec{
	Name: "tmod",
	Params: map[string]Param{
		"name":    {Required: true, Aliases: []string{"host"}},
		"state":   {Default: "present", Choices: []string{"present", "absent"}},
		"flags":   {Type: TypeList, Choices: []string{"vmx", "svm", "pcid"}},
		"ports":   {Type: TypeList, Elements: TypeInt},
		"enabled": {Type: TypeBool},
		"count":   {Type: TypeInt, Default: 3},
		"ratio":   {Type: TypeFloat},
		"opts":    {Type: TypeDict},
		"dest":    {Type: TypePath},
		"a":       {},
		"b":       {},
		"backup":  {Type: TypeBool},
		"src":     {},
		"content": {},
		"blob":    {Type: TypeRaw},
	},
	MutuallyExclusive: [][]string{{"a", "b"}},
	RequiredOneOf:     [][]string{{"src", "content"}},
	RequiredIf: []RequiredIf{
		{Param: "state", Value: "absent", Requires: []string{"backup"}},
		{Param: "count", Value: 0, Requires: []string{"a", "b"}, Any: true},
	},
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		args    string
		wantMsg string // exact msg of the failure; "" means success
		want    map[string]any
	}{
		{
			name:   "minimal",
			reason: "defaults fill unset parameters, unset ones without default are nil",
			args:   `{"name":"h1","src":"x"}`,
			want: map[string]any{"name": "h1", "src": "x", "state": "present", "count": 3, "flags": nil, "ports": nil,
				"enabled": nil, "ratio": nil, "opts": nil, "dest": nil, "a": nil, "b": nil, "backup": nil, "content": nil, "blob": nil},
		},
		{
			name:    "unknown parameter with suggestion",
			reason:  "a misspelt parameter is rejected by name, lists the valid ones and suggests the close one",
			args:    `{"name":"h1","src":"x","stat":"absent"}`,
			wantMsg: `Unsupported parameters for (tmod) module: stat. Supported parameters include: a, b, backup, blob, content, count, dest, enabled, flags, name (host), opts, ports, ratio, src, state. Did you mean "state" instead of "stat"?`,
		},
		{
			name:    "unknown parameter without suggestion",
			reason:  "nothing close: no suggestion",
			args:    `{"name":"h1","src":"x","zzzzzzz":1}`,
			wantMsg: `Unsupported parameters for (tmod) module: zzzzzzz. Supported parameters include: a, b, backup, blob, content, count, dest, enabled, flags, name (host), opts, ports, ratio, src, state.`,
		},
		{
			name:   "unknown _ansible_ keys ignored",
			reason: "newer ansible-core adds control keys the runtime does not know",
			args:   `{"name":"h1","src":"x","_ansible_tracebacks_for":[],"_ansible_future_thing":{"x":1}}`,
			want:   map[string]any{"name": "h1"},
		},
		{
			name:   "alias",
			reason: "an alias fills the canonical name",
			args:   `{"host":"h2","src":"x"}`,
			want:   map[string]any{"name": "h2"},
		},
		{
			name:    "alias and name both given",
			reason:  "two spellings of one parameter are ambiguous",
			args:    `{"host":"h2","name":"h3","src":"x"}`,
			wantMsg: `parameter name is given twice, as "host" and as "name"; remove one of them`,
		},
		{
			name:    "missing required",
			reason:  "required parameter absent",
			args:    `{"src":"x"}`,
			wantMsg: "missing required arguments: name",
		},
		{
			name:    "required given as null",
			reason:  "null counts as not given",
			args:    `{"name":null,"src":"x"}`,
			wantMsg: "missing required arguments: name",
		},
		{
			name:    "choice",
			reason:  "value outside choices, with a suggestion",
			args:    `{"name":"h","src":"x","state":"absnt"}`,
			wantMsg: `value of state must be one of: present, absent, got: absnt. Did you mean "absent"?`,
		},
		{
			name:    "list choice",
			reason:  "every list element must be a choice",
			args:    `{"name":"h","src":"x","flags":"vmx, avx512"}`,
			wantMsg: "value of flags must be one or more of: vmx, svm, pcid. Got no match for: avx512.",
		},
		{
			name:   "list from comma string",
			reason: "AWX surveys send lists as text",
			args:   `{"name":"h","src":"x","flags":" vmx,svm ,,pcid"}`,
			want:   map[string]any{"flags": []any{"vmx", "svm", "pcid"}},
		},
		{
			name:   "list of ints",
			reason: "elements are converted to the element type",
			args:   `{"name":"h","src":"x","ports":["80", 443]}`,
			want:   map[string]any{"ports": []any{80, 443}},
		},
		{
			name:    "list element bad",
			reason:  "element conversion errors name the element",
			args:    `{"name":"h","src":"x","ports":[80,"http"]}`,
			wantMsg: `argument ports is of type list and we were unable to convert to list: element 1: "http" is not a valid integer`,
		},
		{
			name:   "bool truthy string",
			reason: "Ansible's yes/no strings are booleans",
			args:   `{"name":"h","src":"x","enabled":"Yes"}`,
			want:   map[string]any{"enabled": true},
		},
		{
			name:    "bool invalid",
			reason:  "a non-boolean string is rejected with the accepted spellings",
			args:    `{"name":"h","src":"x","enabled":"maybe"}`,
			wantMsg: `argument enabled is of type string and we were unable to convert to bool: "maybe" is not a valid boolean; use true/false, yes/no, on/off or 1/0`,
		},
		{
			name:   "int from string",
			reason: "survey text is converted",
			args:   `{"name":"h","src":"x","count":"7"}`,
			want:   map[string]any{"count": 7},
		},
		{
			name:    "int invalid",
			reason:  "fractional numbers are not ints",
			args:    `{"name":"h","src":"x","count":1.5}`,
			wantMsg: `argument count is of type number and we were unable to convert to int: "1.5" is not a valid integer`,
		},
		{
			name:   "float",
			reason: "float from string",
			args:   `{"name":"h","src":"x","ratio":"0.25"}`,
			want:   map[string]any{"ratio": 0.25},
		},
		{
			name:   "dict from k=v",
			reason: "Ansible accepts k=v text for dicts",
			args:   `{"name":"h","src":"x","opts":"a=1, b=2"}`,
			want:   map[string]any{"opts": map[string]any{"a": "1", "b": "2"}},
		},
		{
			name:    "dict invalid",
			reason:  "a list is not a dict",
			args:    `{"name":"h","src":"x","opts":[1]}`,
			wantMsg: "argument opts is of type list and we were unable to convert to dict: expected a dict, got a list",
		},
		{
			name:   "raw passes through",
			reason: "raw keeps the JSON value",
			args:   `{"name":"h","src":"x","blob":{"k":[true]}}`,
			want:   map[string]any{"blob": map[string]any{"k": []any{true}}},
		},
		{
			name:   "str from number",
			reason: "numbers are converted to strings (with a warning, checked elsewhere)",
			args:   `{"name":1.50,"src":"x"}`,
			want:   map[string]any{"name": "1.50"},
		},
		{
			name:    "str from list",
			reason:  "a list is not a string",
			args:    `{"name":["a"],"src":"x"}`,
			wantMsg: "argument name is of type list and we were unable to convert to str: expected a string, got a list",
		},
		{
			name:    "mutually exclusive",
			reason:  "a and b cannot both be given",
			args:    `{"name":"h","src":"x","a":"1","b":"2"}`,
			wantMsg: "parameters are mutually exclusive: a|b",
		},
		{
			name:    "required one of",
			reason:  "src or content needed",
			args:    `{"name":"h"}`,
			wantMsg: "one of the following is required: src, content",
		},
		{
			name:    "required if all",
			reason:  "state=absent needs backup",
			args:    `{"name":"h","src":"x","state":"absent"}`,
			wantMsg: "state is absent but all of the following are missing: backup",
		},
		{
			name:   "required if satisfied",
			reason: "backup given",
			args:   `{"name":"h","src":"x","state":"absent","backup":false}`,
			want:   map[string]any{"backup": false},
		},
		{
			name:    "required if any",
			reason:  "count=0 needs a or b",
			args:    `{"name":"h","src":"x","count":0}`,
			wantMsg: "count is 0 but any of the following are missing: a, b",
		},
		{
			name:   "required if any satisfied",
			reason: "one of a, b is enough",
			args:   `{"name":"h","src":"x","count":"0","b":"y"}`,
			want:   map[string]any{"count": 0, "b": "y"},
		},
		{
			name:    "several errors joined",
			reason:  "every problem is reported at once",
			args:    `{"state":"bogus"}`,
			wantMsg: "value of state must be one of: present, absent, got: bogus.; missing required arguments: name; one of the following is required: src, content",
		},
		{
			name:   "wrapper accepted",
			reason: "the ANSIBLE_MODULE_ARGS wrapper of new-style modules is tolerated",
			args:   `{"ANSIBLE_MODULE_ARGS":{"name":"w","src":"x"}}`,
			want:   map[string]any{"name": "w"},
		},
		{
			name:   "ignore unknown opts",
			reason: "_ansible_ignore_unknown_opts (2.17+) drops unknown parameters",
			args:   `{"name":"h","src":"x","bogus":1,"_ansible_ignore_unknown_opts":true}`,
			want:   map[string]any{"name": "h"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got map[string]any
			obj, failed := handleJSON(t, testSpec, tc.args, func(_ context.Context, m *Module, _ *Result) error {
				got = m.Params
				return nil
			})
			if tc.wantMsg != "" {
				if !failed {
					t.Fatalf("%s: want failure %q, got success %v", tc.reason, tc.wantMsg, obj)
				}
				if obj["msg"] != tc.wantMsg {
					t.Fatalf("%s:\nmsg  %q\nwant %q", tc.reason, obj["msg"], tc.wantMsg)
				}
				if got != nil {
					t.Fatalf("%s: module function ran despite invalid arguments", tc.reason)
				}
				return
			}
			if failed {
				t.Fatalf("%s: unexpected failure: %v", tc.reason, obj["msg"])
			}
			for k, want := range tc.want {
				if diff := cmp.Diff(want, got[k]); diff != "" {
					t.Errorf("%s: param %s (-want +got):\n%s", tc.reason, k, diff)
				}
			}
			if tc.name == "minimal" && len(got) != len(tc.want) {
				t.Errorf("%s: params has %d keys, want %d: %v", tc.reason, len(got), len(tc.want), got)
			}
		})
	}
}

func TestStrConversionWarns(t *testing.T) {
	obj, failed := handleJSON(t, testSpec, `{"name":12,"src":"x"}`, noop)
	if failed {
		t.Fatalf("unexpected failure: %v", obj["msg"])
	}
	ws, _ := obj["warnings"].([]any)
	if len(ws) != 1 || !strings.Contains(ws[0].(string), "The value 12 (type number) was converted to '12'") {
		t.Fatalf("want one conversion warning, got %v", obj["warnings"])
	}
}

func TestControlKeys(t *testing.T) {
	var m *Module
	spec := testSpec
	spec.SupportsCheckMode = true
	_, failed := handleJSON(t, spec, `{"name":"h","src":"x","_ansible_check_mode":true,"_ansible_diff":"yes",
		"_ansible_no_log":false,"_ansible_debug":1,"_ansible_verbosity":3,"_ansible_module_name":"kvm_migration.cpu_flags.tmod",
		"_ansible_tmpdir":"/tmp/at","_ansible_remote_tmp":"~/.ansible/tmp","_ansible_selinux_special_fs":["nfs"]}`,
		func(_ context.Context, got *Module, _ *Result) error { m = got; return nil })
	if failed || m == nil {
		t.Fatal("module did not run")
	}
	want := Module{Name: "kvm_migration.cpu_flags.tmod", CheckMode: true, Diff: true, Debug: true, Verbosity: 3, Tmpdir: "/tmp/at"}
	got := Module{Name: m.Name, CheckMode: m.CheckMode, Diff: m.Diff, NoLog: m.NoLog, Debug: m.Debug, Verbosity: m.Verbosity, Tmpdir: m.Tmpdir}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Module{})); diff != "" {
		t.Fatalf("control settings (-want +got):\n%s", diff)
	}
}

func TestBadControlKey(t *testing.T) {
	obj, failed := handleJSON(t, testSpec, `{"name":"h","src":"x","_ansible_check_mode":"perhaps"}`, noop)
	want := `module tmod: arguments file args.json: control key _ansible_check_mode: "perhaps" is not a valid boolean; use true/false, yes/no, on/off or 1/0`
	if !failed || obj["msg"] != want {
		t.Fatalf("an unparsable check-mode flag must fail rather than risk a real run:\nmsg  %v\nwant %s", obj["msg"], want)
	}
}

func TestCheckModeUnsupported(t *testing.T) {
	spec := testSpec
	spec.SupportsCheckMode = false
	ran := false
	obj, failed := handleJSON(t, spec, `{"name":"h","src":"x","_ansible_check_mode":true,"_ansible_module_name":"ns.c.tmod"}`,
		func(context.Context, *Module, *Result) error { ran = true; return nil })
	want := map[string]any{"changed": false, "skipped": true, "msg": "remote module (ns.c.tmod) does not support check mode"}
	if diff := cmp.Diff(want, obj); diff != "" || failed || ran {
		t.Fatalf("check mode on an unsupported module must skip without running (ran=%v, failed=%v):\n%s", ran, failed, diff)
	}
}

func TestArgsFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := dir + "/" + name
		if err := writeFile(p, body); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		reason  string
		args    []string
		wantMsg string // substring
	}{
		{"no argument", "Ansible always passes the args file", []string{"mod"}, "mod is an Ansible module: Ansible runs it with the path of a JSON arguments file as its only argument, but it got 0 arguments"},
		{"too many arguments", "extra arguments are a usage error", []string{"mod", "a", "b"}, "but it got 2 arguments"},
		{"missing file", "unreadable file named with the OS error", []string{"mod", dir + "/nope.json"}, "module tmod cannot read its arguments file: open " + dir + "/nope.json: no such file or directory"},
		{"directory", "a directory is not a file", []string{"mod", dir}, "module tmod cannot read its arguments file: read " + dir + ": is a directory"},
		{"not json", "garbage", []string{"mod", write("garbage.json", "name=foo")}, "module tmod: arguments file " + dir + "/garbage.json is not valid JSON: invalid character 'a' in literal null (expecting 'u'); it must hold one JSON object of parameters"},
		{"empty", "empty file", []string{"mod", write("empty.json", "")}, "is not valid JSON: EOF"},
		{"array", "JSON but not an object", []string{"mod", write("arr.json", "[1]")}, "holds a JSON list, not an object"},
		{"trailing", "two documents", []string{"mod", write("two.json", `{} {}`)}, "has data after the JSON object"},
		{"bad wrapper", "wrapper must be an object", []string{"mod", write("wrap.json", `{"ANSIBLE_MODULE_ARGS":"x"}`)}, "ANSIBLE_MODULE_ARGS holds a JSON string, not an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, failed := execute(context.Background(), testSpec, tc.args, noop)
			obj := decodeOne(t, out)
			msg, _ := obj["msg"].(string)
			if !failed || obj["failed"] != true || !strings.Contains(msg, tc.wantMsg) {
				t.Fatalf("%s: want failure containing %q, got %s", tc.reason, tc.wantMsg, out)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		spec    Spec
		wantErr string // substring; "" means valid
	}{
		{"valid", "the test spec is fine", testSpec, ""},
		{"unknown type", "typo in a type", Spec{Params: map[string]Param{"x": {Type: "string"}}}, `parameter x: unknown type "string"`},
		{"required with default", "contradiction", Spec{Params: map[string]Param{"x": {Required: true, Default: "a"}}}, "a required parameter cannot have a default"},
		{"alias clash", "two params share a name", Spec{Params: map[string]Param{"x": {Aliases: []string{"y"}}, "y": {}}}, `name "y" is used by both x and y`},
		{"bad default", "default not convertible", Spec{Params: map[string]Param{"n": {Type: TypeInt, Default: "many"}}}, `parameter n: default many: "many" is not a valid integer`},
		{"default not a choice", "default outside choices", Spec{Params: map[string]Param{"s": {Default: "x", Choices: []string{"a"}}}}, "parameter s: default: value of s must be one of: a, got: x."},
		{"group unknown", "groups use canonical names", Spec{Params: map[string]Param{"a": {}}, RequiredOneOf: [][]string{{"a", "zz"}}}, `RequiredOneOf names unknown parameter "zz"`},
		{"required_if unknown", "RequiredIf names checked", Spec{Params: map[string]Param{"a": {}}, RequiredIf: []RequiredIf{{Param: "q", Value: 1, Requires: []string{"a"}}}}, `RequiredIf names unknown parameter "q"`},
		{"reserved name", "_ansible_ prefix is Ansible's", Spec{Params: map[string]Param{"_ansible_x": {}}}, "reserved or empty"},
		{"elements on non-list", "Elements only for lists", Spec{Params: map[string]Param{"a": {Elements: TypeInt}}}, "Elements is only valid for TypeList"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("%s: %v", tc.reason, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%s: want error containing %q, got %v", tc.reason, tc.wantErr, err)
			}
		})
	}
	out, failed := execute(context.Background(), Spec{Name: "bad", Params: map[string]Param{"x": {Type: "nope"}}}, []string{"m", "a"}, noop)
	if obj := decodeOne(t, out); !failed || !strings.Contains(obj["msg"].(string), "the argument spec of module bad is invalid; this is a bug in the module") {
		t.Fatalf("an invalid spec must fail before reading args: %s", out)
	}
}

func TestConvert(t *testing.T) {
	t.Setenv("AM_TEST_DIR", "/srv/x")
	t.Setenv("HOME", "/home/tester")
	tests := []struct {
		name    string
		reason  string
		typ     Type
		in      any
		want    any
		wantErr bool
	}{
		{"bool yes", "truthy", TypeBool, "yes", true, false},
		{"bool ON", "case-insensitive", TypeBool, "ON", true, false},
		{"bool t", "single letter", TypeBool, "t", true, false},
		{"bool 1 number", "JSON 1", TypeBool, json.Number("1"), true, false},
		{"bool off", "falsy", TypeBool, "off", false, false},
		{"bool n", "falsy letter", TypeBool, "n", false, false},
		{"bool 0 string", "falsy digit", TypeBool, "0", false, false},
		{"bool false", "JSON false", TypeBool, false, false, false},
		{"bool 2", "2 is not a boolean", TypeBool, json.Number("2"), nil, true},
		{"bool list", "list is not a boolean", TypeBool, []any{}, nil, true},
		{"int negative", "sign", TypeInt, "-4", -4, false},
		{"int 3.0", "whole float", TypeInt, json.Number("3.0"), 3, false},
		{"int bool", "bool is not an int", TypeInt, true, nil, true},
		{"float int", "int is a float", TypeFloat, json.Number("2"), 2.0, false},
		{"float nan", "NaN rejected", TypeFloat, "NaN", nil, true},
		{"list number", "a scalar becomes a one-element list", TypeList, json.Number("5"), []any{"5"}, false},
		{"list empty string", "empty text is an empty list", TypeList, "", []any{}, false},
		{"dict json string", "JSON in a string", TypeDict, `{"a": [1]}`, map[string]any{"a": []any{json.Number("1")}}, false},
		{"dict bad kv", "k=v required", TypeDict, "a=1 b", nil, true},
		{"path env", "environment variables expanded", TypePath, "$AM_TEST_DIR/a", "/srv/x/a", false},
		{"path braces", "${VAR} form", TypePath, "${AM_TEST_DIR}/b", "/srv/x/b", false},
		{"path unset var", "unset variables stay, like Python expandvars", TypePath, "$AM_NOT_SET_X/c", "$AM_NOT_SET_X/c", false},
		{"path tilde", "home expanded", TypePath, "~/conf", "/home/tester/conf", false},
		{"path tilde alone", "bare ~", TypePath, "~", "/home/tester", false},
		{"path unknown user", "unknown ~user kept", TypePath, "~no_such_user_zz/x", "~no_such_user_zz/x", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := convert(tc.typ, TypeStr, tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("%s: want error, got %v", tc.reason, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	tests := []struct {
		name, reason, in, want string
	}{
		{"one typo", "deletion", "stat", "state"},
		{"case", "case-insensitive", "STATE", "state"},
		{"two edits", "two edits allowed on a word of 5+ letters", "staet", "state"},
		{"far", "unrelated word gets no suggestion", "xyz", ""},
		{"short word strict", "short words allow one edit only", "ab", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := closest(tc.in, []string{"state", "name", "src"}); got != tc.want {
				t.Fatalf("%s: closest(%q) = %q, want %q", tc.reason, tc.in, got, tc.want)
			}
		})
	}
}
