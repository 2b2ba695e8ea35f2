package ansiblemod

import (
	"encoding/json"
	"strings"
)

// censor hides no_log values, like Ansible's remove_values.
type censor struct {
	values []string // longest first
}

func (c censor) str(s string) string {
	for _, v := range c.values {
		if s == v {
			return NoLogValue
		}
	}
	for _, v := range c.values {
		s = strings.ReplaceAll(s, v, NoLogMarker)
	}
	return s
}

// top censors the result object. The names of protocol keys (failed, msg,
// diff.before, invocation.module_args.<param>, ...) are kept as they are,
// even when a short secret occurs in them; their values are censored.
func (c censor) top(obj map[string]any) map[string]any {
	if len(c.values) == 0 {
		return obj
	}
	out := make(map[string]any, len(obj))
	for k, val := range obj {
		switch {
		case k == "diff" || k == "deprecations":
			val = c.keepKeys(val, 1)
		case k == "invocation":
			val = c.keepKeys(val, 2)
		default:
			val = c.apply(val)
		}
		if !reservedKeys[k] {
			k = c.str(k)
		}
		out[k] = val
	}
	return out
}

// keepKeys censors v but keeps map keys for depth more map levels (lists
// do not count as a level).
func (c censor) keepKeys(v any, depth int) any {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			x[i] = c.keepKeys(e, depth)
		}
		return x
	case map[string]any:
		if depth == 0 {
			return c.apply(x)
		}
		for k, val := range x {
			x[k] = c.keepKeys(val, depth-1)
		}
		return x
	}
	return c.apply(v)
}

func (c censor) apply(v any) any {
	if len(c.values) == 0 {
		return v
	}
	switch x := v.(type) {
	case string:
		return c.str(x)
	case json.Number:
		if c.str(x.String()) != x.String() {
			return NoLogValue
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = c.apply(e)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[c.str(k)] = c.apply(val)
		}
		return out
	}
	return v
}
