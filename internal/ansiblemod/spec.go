package ansiblemod

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Type is the type of a module parameter, named as in Ansible argument specs.
type Type string

// Parameter types. The zero Type means TypeStr, as in Ansible.
const (
	// TypeStr is a string; JSON numbers and booleans are converted with a warning.
	TypeStr Type = "str"
	// TypeBool is a boolean; Ansible's strings yes/no/true/false/on/off/y/n/t/f/1/0 are accepted.
	TypeBool Type = "bool"
	// TypeInt is an integer (Go int), from a JSON number or a decimal string.
	TypeInt Type = "int"
	// TypeFloat is a float64, from a JSON number or a string.
	TypeFloat Type = "float"
	// TypeList is a list ([]any), from a JSON list or a comma-separated string.
	TypeList Type = "list"
	// TypeDict is a map[string]any, from a JSON object, a JSON string or "k=v, k2=v2".
	TypeDict Type = "dict"
	// TypePath is a string in which ~ and $VARS are expanded.
	TypePath Type = "path"
	// TypeRaw is any JSON value, passed through unchanged.
	TypeRaw Type = "raw"
)

func (t Type) orStr() Type {
	if t == "" {
		return TypeStr
	}
	return t
}

// Spec describes a module: its name and its argument spec.
type Spec struct {
	// Name is the module's short name, used in messages when the args file
	// does not carry _ansible_module_name.
	Name string
	// Params maps each canonical parameter name to its definition.
	Params map[string]Param
	// SupportsCheckMode says whether the module honours Module.CheckMode. When
	// false, a check-mode run is skipped without calling the module function.
	SupportsCheckMode bool
	// MutuallyExclusive lists groups of parameters of which at most one may be given.
	MutuallyExclusive [][]string
	// RequiredOneOf lists groups of parameters of which at least one must be set.
	RequiredOneOf [][]string
	// RequiredIf lists conditional requirements.
	RequiredIf []RequiredIf
}

// Param defines one module parameter.
type Param struct {
	// Type is the parameter type; zero means TypeStr.
	Type Type
	// Required makes the parameter mandatory. It cannot have a Default.
	Required bool
	// Default is used when the parameter is not given; it is converted to Type.
	Default any
	// Choices, when set, lists the allowed values (for lists: allowed elements).
	Choices []string
	// Aliases are other accepted names for the parameter.
	Aliases []string
	// NoLog marks a secret: its value is censored from the whole result.
	NoLog bool
	// Elements is the element type of a TypeList parameter; zero means TypeStr.
	Elements Type
	// Description is a one-line help text (documentation lives in the sidecar YAML).
	Description string
}

// RequiredIf says: when parameter Param equals Value, the parameters in
// Requires must be set (all of them, or at least one when Any is true).
type RequiredIf struct {
	// Param is the parameter to test.
	Param string
	// Value is compared with the parameter's converted value (by fmt.Sprint).
	Value any
	// Requires lists the parameters that become required.
	Requires []string
	// Any relaxes the rule to "at least one of Requires".
	Any bool
}

var knownTypes = []Type{TypeStr, TypeBool, TypeInt, TypeFloat, TypeList, TypeDict, TypePath, TypeRaw}

// Validate checks the spec itself for programming errors (unknown types,
// duplicate aliases, groups naming unknown parameters, bad defaults). Run
// calls it and reports a failure naming the module as buggy.
func (s Spec) Validate() error {
	var errs []error
	names := map[string]string{} // name or alias -> canonical
	for _, name := range sortedKeys(s.Params) {
		p := s.Params[name]
		if name == "" || strings.HasPrefix(name, "_ansible_") {
			errs = append(errs, fmt.Errorf("parameter name %q is reserved or empty", name))
		}
		if !slices.Contains(knownTypes, p.Type.orStr()) {
			errs = append(errs, fmt.Errorf("parameter %s: unknown type %q (use one of the Type constants)", name, p.Type))
			continue
		}
		if p.Elements != "" && p.Type != TypeList {
			errs = append(errs, fmt.Errorf("parameter %s: Elements is only valid for TypeList", name))
		}
		if !slices.Contains(knownTypes, p.Elements.orStr()) || p.Elements == TypeList {
			errs = append(errs, fmt.Errorf("parameter %s: unsupported element type %q", name, p.Elements))
		}
		if p.Required && p.Default != nil {
			errs = append(errs, fmt.Errorf("parameter %s: a required parameter cannot have a default", name))
		}
		if len(p.Choices) > 0 && (p.Type == TypeDict || p.Type == TypeRaw) {
			errs = append(errs, fmt.Errorf("parameter %s: choices are not supported for type %s", name, p.Type))
		}
		for _, n := range append([]string{name}, p.Aliases...) {
			if other, ok := names[n]; ok {
				errs = append(errs, fmt.Errorf("name %q is used by both %s and %s", n, other, name))
			}
			names[n] = name
		}
		if p.Default != nil {
			v, _, err := convert(p.Type.orStr(), p.Elements.orStr(), p.Default)
			if err != nil {
				errs = append(errs, fmt.Errorf("parameter %s: default %v: %w", name, p.Default, err))
			} else if msg := checkChoices(name, p, v); msg != "" {
				errs = append(errs, fmt.Errorf("parameter %s: default: %s", name, msg))
			}
		}
	}
	checkNames := func(what string, group []string) {
		for _, n := range group {
			if _, ok := s.Params[n]; !ok {
				errs = append(errs, fmt.Errorf("%s names unknown parameter %q (use canonical names)", what, n))
			}
		}
	}
	for _, g := range s.MutuallyExclusive {
		checkNames("MutuallyExclusive", g)
	}
	for _, g := range s.RequiredOneOf {
		checkNames("RequiredOneOf", g)
	}
	for _, r := range s.RequiredIf {
		checkNames("RequiredIf", append([]string{r.Param}, r.Requires...))
	}
	return errors.Join(errs...)
}
