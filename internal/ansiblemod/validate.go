package ansiblemod

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/editdist"
)

// validated is the outcome of checking user arguments against a Spec.
type validated struct {
	params   map[string]any  // canonical name -> converted value (nil when unset)
	given    map[string]bool // canonical names the user supplied (non-null)
	noLog    []string        // strings to censor
	warnings []string
	errs     []string
}

// validate applies spec to the user parameters (control keys already removed).
// It follows the order of Ansible's ArgumentSpecValidator but collects every
// error instead of stopping at the first.
func validate(spec Spec, moduleName string, user map[string]any, ignoreUnknown bool) *validated {
	v := &validated{params: map[string]any{}, given: map[string]bool{}}
	aliasOf := map[string]string{}
	for name, p := range spec.Params {
		aliasOf[name] = name
		for _, a := range p.Aliases {
			aliasOf[a] = name
		}
	}

	// Resolve aliases and find unknown names.
	raw := map[string]any{}
	via := map[string]string{}
	var unknown []string
	for _, k := range sortedKeys(user) {
		canon, ok := aliasOf[k]
		if !ok {
			if !ignoreUnknown {
				unknown = append(unknown, k)
			}
			continue
		}
		if prev, dup := via[canon]; dup {
			v.errs = append(v.errs, fmt.Sprintf("parameter %s is given twice, as %q and as %q; remove one of them", canon, prev, k))
			continue
		}
		via[canon] = k
		raw[canon] = user[k]
	}
	// Collect no_log values first, so that even messages about invalid
	// values of secret parameters are censored.
	for name, val := range raw {
		if spec.Params[name].NoLog {
			v.noLog = appendLeaves(v.noLog, val)
		}
	}
	if len(unknown) > 0 {
		v.errs = append(v.errs, unsupportedMsg(spec, moduleName, unknown))
	}

	for name, val := range raw {
		if val != nil {
			v.given[name] = true
		}
	}
	for _, group := range spec.MutuallyExclusive {
		var set []string
		for _, n := range group {
			if v.given[n] {
				set = append(set, n)
			}
		}
		if len(set) > 1 {
			v.errs = append(v.errs, "parameters are mutually exclusive: "+strings.Join(group, "|"))
		}
	}

	var missing []string
	for _, name := range sortedKeys(spec.Params) {
		p := spec.Params[name]
		val := raw[name]
		if val == nil {
			if p.Required {
				missing = append(missing, name)
				continue
			}
			val = p.Default
		}
		if val == nil {
			v.params[name] = nil
			continue
		}
		c, warn, err := convert(p.Type.orStr(), p.Elements.orStr(), val)
		if err != nil {
			if v.given[name] {
				v.errs = append(v.errs, fmt.Sprintf("argument %s is of type %s and we were unable to convert to %s: %v", name, typeName(val), p.Type.orStr(), err))
			} else {
				v.errs = append(v.errs, fmt.Sprintf("default of argument %s is invalid (bug in the module): %v", name, err))
			}
			continue
		}
		if warn != "" && v.given[name] {
			v.warnings = append(v.warnings, fmt.Sprintf("parameter %s: %s", name, warn))
		}
		if msg := checkChoices(name, p, c); msg != "" {
			v.errs = append(v.errs, msg)
			continue
		}
		v.params[name] = c
		if p.NoLog {
			v.noLog = appendLeaves(v.noLog, c)
		}
	}
	if len(missing) > 0 {
		v.errs = append(v.errs, "missing required arguments: "+strings.Join(missing, ", "))
	}

	isSet := func(n string) bool { return v.params[n] != nil }
	for _, group := range spec.RequiredOneOf {
		if !slices.ContainsFunc(group, isSet) {
			v.errs = append(v.errs, "one of the following is required: "+strings.Join(group, ", "))
		}
	}
	for _, r := range spec.RequiredIf {
		cur := v.params[r.Param]
		if cur == nil || fmt.Sprint(cur) != fmt.Sprint(r.Value) {
			continue
		}
		var miss []string
		for _, n := range r.Requires {
			if !isSet(n) {
				miss = append(miss, n)
			}
		}
		if len(miss) == 0 || (r.Any && len(miss) < len(r.Requires)) {
			continue
		}
		quant := "all"
		if r.Any {
			quant = "any"
		}
		v.errs = append(v.errs, fmt.Sprintf("%s is %v but %s of the following are missing: %s", r.Param, r.Value, quant, strings.Join(miss, ", ")))
	}
	v.noLog = dedupNoLog(v.noLog)
	return v
}

func unsupportedMsg(spec Spec, moduleName string, unknown []string) string {
	var supported []string
	var candidates []string
	for _, name := range sortedKeys(spec.Params) {
		p := spec.Params[name]
		s := name
		if len(p.Aliases) > 0 {
			s += " (" + strings.Join(p.Aliases, ", ") + ")"
		}
		supported = append(supported, s)
		candidates = append(candidates, name)
		candidates = append(candidates, p.Aliases...)
	}
	msg := fmt.Sprintf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s.",
		moduleName, strings.Join(unknown, ", "), strings.Join(supported, ", "))
	for _, u := range unknown {
		if best := closest(u, candidates); best != "" {
			msg += fmt.Sprintf(" Did you mean %q instead of %q?", best, u)
		}
	}
	return msg
}

// checkChoices returns an error message when c (a converted value) is not
// among p.Choices, or "" when it is (or there are no choices).
func checkChoices(name string, p Param, c any) string {
	if len(p.Choices) == 0 || c == nil {
		return ""
	}
	if list, ok := c.([]any); ok {
		var bad []string
		for _, e := range list {
			if s := fmt.Sprint(e); !slices.Contains(p.Choices, s) {
				bad = append(bad, s)
			}
		}
		if len(bad) == 0 {
			return ""
		}
		return fmt.Sprintf("value of %s must be one or more of: %s. Got no match for: %s.%s",
			name, strings.Join(p.Choices, ", "), strings.Join(bad, ", "), didYouMean(bad[0], p.Choices))
	}
	s := fmt.Sprint(c)
	if slices.Contains(p.Choices, s) {
		return ""
	}
	return fmt.Sprintf("value of %s must be one of: %s, got: %s.%s", name, strings.Join(p.Choices, ", "), s, didYouMean(s, p.Choices))
}

func didYouMean(got string, candidates []string) string {
	if best := closest(got, candidates); best != "" {
		return fmt.Sprintf(" Did you mean %q?", best)
	}
	return ""
}

// closest returns the candidate nearest to s when it is a plausible
// misspelling (case-insensitive edit distance at most 1 for short words, 2
// otherwise), or "".
func closest(s string, candidates []string) string {
	limit := 1
	if len(s) >= 5 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := editdist.Distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// appendLeaves adds the string form of every scalar inside v (Ansible's
// _return_datastructure_name).
func appendLeaves(out []string, v any) []string {
	switch x := v.(type) {
	case nil, bool:
		// Ansible does not treat booleans or null as secrets.
		return out
	case []any:
		for _, e := range x {
			out = appendLeaves(out, e)
		}
		return out
	case map[string]any:
		for _, k := range sortedKeys(x) {
			out = appendLeaves(out, x[k])
		}
		return out
	case string:
		return append(out, x)
	default:
		return append(out, fmt.Sprint(x))
	}
}

// dedupNoLog drops empty strings and duplicates and sorts longest first, so
// that a secret containing another secret is censored whole.
func dedupNoLog(in []string) []string {
	set := map[string]bool{}
	for _, s := range in {
		if s != "" {
			set[s] = true
		}
	}
	out := slices.Collect(maps.Keys(set))
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
