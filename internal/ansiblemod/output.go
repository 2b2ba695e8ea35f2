package ansiblemod

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// resultMap lays out r as result keys.
func resultMap(m *Module, r *Result) map[string]any {
	out := map[string]any{"changed": r.Changed}
	for _, k := range sortedKeys(r.Extra) {
		val := r.Extra[k]
		if reservedKeys[k] || strings.HasPrefix(k, "_ansible_") {
			r.Warn("module %s set reserved result key %q through Extra; it was dropped", m.Name, k)
			continue
		}
		out[k] = val
	}
	if r.Msg != "" {
		out["msg"] = r.Msg
	}
	if r.Skipped {
		out["skipped"] = true
	}
	if len(r.Facts) > 0 {
		out["ansible_facts"] = r.Facts
	}
	if m.Diff && len(r.Diff) == 1 {
		out["diff"] = r.Diff[0]
	} else if m.Diff && len(r.Diff) > 1 {
		out["diff"] = r.Diff
	}
	if len(r.Deprecations) > 0 {
		out["deprecations"] = r.Deprecations
	}
	if len(r.Warnings) > 0 {
		out["warnings"] = append([]string(nil), r.Warnings...)
	}
	return out
}

func appendWarning(out map[string]any, w string) {
	ws, _ := out["warnings"].([]string)
	out["warnings"] = append(ws, w)
}

// failure encodes a failure that happened before parameters were known.
func failure(msg string) ([]byte, bool) {
	return encode(map[string]any{"failed": true, "changed": false, "msg": msg}, censor{}, true)
}

// encode normalises out through JSON (so that structs are walked too),
// drops _ansible_* keys at any depth, censors no_log values, and returns one
// JSON object followed by a newline.
func encode(out map[string]any, cz censor, failed bool) ([]byte, bool) {
	raw, err := json.Marshal(out)
	if err != nil {
		msg := fmt.Sprintf("the module's result cannot be encoded as JSON (bug in the module): %v", err)
		if m, ok := out["msg"].(string); ok && failed {
			msg = m + "; additionally, " + msg
		}
		out = map[string]any{"failed": true, "changed": false, "msg": msg}
		failed = true
		raw, _ = json.Marshal(out) // only strings and bools: cannot fail
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&generic) // raw came from json.Marshal
	clean := cz.top(stripReserved(generic).(map[string]any))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(clean) // only maps, slices, strings, numbers, bools
	return buf.Bytes(), failed
}

// stripReserved removes keys starting with _ansible_ at every depth.
func stripReserved(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if strings.HasPrefix(k, "_ansible_") {
				delete(x, k)
				continue
			}
			x[k] = stripReserved(val)
		}
	case []any:
		for i, e := range x {
			x[i] = stripReserved(e)
		}
	}
	return v
}
