package ansiblemod

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Ansible's BOOLEANS_TRUE / BOOLEANS_FALSE (module_utils/parsing/convert_bool.py).
var (
	boolTrue  = map[string]bool{"y": true, "yes": true, "on": true, "1": true, "true": true, "t": true, "1.0": true}
	boolFalse = map[string]bool{"n": true, "no": true, "off": true, "0": true, "false": true, "f": true, "0.0": true}
)

// typeName describes a decoded JSON value for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case json.Number, int, int64, float64, float32:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// convert turns a decoded JSON value (or a Go default) into the canonical Go
// value for typ. warn is a non-fatal note (e.g. number converted to string).
func convert(typ, elem Type, v any) (out any, warn string, err error) {
	switch typ {
	case TypeStr:
		return toStr(v)
	case TypePath:
		s, w, err := toStr(v)
		if err != nil {
			return nil, "", err
		}
		return expandPath(s.(string)), w, nil
	case TypeBool:
		b, err := toBool(v)
		return b, "", err
	case TypeInt:
		i, err := toInt(v)
		return i, "", err
	case TypeFloat:
		f, err := toFloat(v)
		return f, "", err
	case TypeList:
		return toList(elem, v)
	case TypeDict:
		d, err := toDict(v)
		return d, "", err
	case TypeRaw:
		return v, "", nil
	}
	return nil, "", fmt.Errorf("unknown type %q", typ)
}

func toStr(v any) (any, string, error) {
	switch x := v.(type) {
	case string:
		return x, "", nil
	case json.Number, bool, int, int64, float64:
		s := fmt.Sprint(x)
		return s, fmt.Sprintf("The value %s (type %s) was converted to '%s' (type string). If this does not look like what you expect, quote the entire value to ensure it does not change.", s, typeName(x), s), nil
	}
	return nil, "", fmt.Errorf("expected a string, got a %s", typeName(v))
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string, json.Number, int, int64, float64:
		s := strings.ToLower(strings.TrimSpace(fmt.Sprint(x)))
		if boolTrue[s] {
			return true, nil
		}
		if boolFalse[s] {
			return false, nil
		}
		return false, fmt.Errorf("%q is not a valid boolean; use true/false, yes/no, on/off or 1/0", fmt.Sprint(x))
	}
	return false, fmt.Errorf("expected a boolean, got a %s", typeName(v))
}

func toInt(v any) (int, error) {
	var s string
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) >= 1<<53 {
			return 0, fmt.Errorf("%v is not a whole number", x)
		}
		return int(x), nil
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, fmt.Errorf("expected an integer, got a %s", typeName(v))
	}
	i, err := strconv.ParseInt(s, 10, 0)
	if err == nil {
		return int(i), nil
	}
	// JSON writers may emit 3.0 for an integer; accept whole floats.
	if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int(f), nil
	}
	return 0, fmt.Errorf("%q is not a valid integer", s)
}

func toFloat(v any) (float64, error) {
	var s string
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, fmt.Errorf("expected a number, got a %s", typeName(v))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a valid number", s)
	}
	return f, nil
}

// toList accepts a JSON list, a Go []string, or a comma-separated string
// (AWX surveys send text); elements are trimmed and empty ones dropped.
func toList(elem Type, v any) (any, string, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []string:
		for _, s := range x {
			items = append(items, s)
		}
	case string:
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	case json.Number, bool, int, int64, float64:
		items = []any{x}
	default:
		return nil, "", fmt.Errorf("expected a list or a comma-separated string, got a %s", typeName(v))
	}
	out := make([]any, 0, len(items))
	var warn string
	for i, it := range items {
		c, w, err := convert(elem.orStr(), "", it)
		if err != nil {
			return nil, "", fmt.Errorf("element %d: %w", i, err)
		}
		if w != "" {
			warn = w
		}
		out = append(out, c)
	}
	return out, warn, nil
}

// toDict accepts a JSON object, a string holding a JSON object, or
// "k1=v1, k2=v2" (separated by commas or spaces, no quoting).
func toDict(v any) (map[string]any, error) {
	switch x := v.(type) {
	case map[string]any:
		return x, nil
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "{") {
			var m map[string]any
			dec := json.NewDecoder(strings.NewReader(s))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				return nil, fmt.Errorf("string is not a valid JSON object: %w", err)
			}
			return m, nil
		}
		m := map[string]any{}
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			k, val, ok := strings.Cut(f, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%q is not key=value; write a JSON object or k1=v1, k2=v2", f)
			}
			m[k] = val
		}
		return m, nil
	}
	return nil, fmt.Errorf("expected a dict, got a %s", typeName(v))
}

// varRE is Python's posixpath._varprog: $name or ${name}.
var varRE = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

// expandPath mirrors Ansible's os.path.expanduser(os.path.expandvars(p)):
// unset variables are left as written.
func expandPath(p string) string {
	p = varRE.ReplaceAllStringFunc(p, func(m string) string {
		name := strings.TrimSuffix(strings.TrimPrefix(m[1:], "{"), "}")
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return m
	})
	if !strings.HasPrefix(p, "~") {
		return p
	}
	head, rest, _ := strings.Cut(p[1:], "/")
	var home string
	if head == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return p
		}
		home = h
	} else {
		u, err := user.Lookup(head)
		if err != nil {
			return p
		}
		home = u.HomeDir
	}
	if rest == "" && !strings.Contains(p, "/") {
		return home
	}
	return filepath.Join(home, rest)
}
