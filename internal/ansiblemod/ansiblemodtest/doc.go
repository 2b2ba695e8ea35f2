// Package ansiblemodtest holds test helpers for the collection's Go modules.
// CheckDocumentation ties a module's Go argument spec to the DOCUMENTATION of
// its plugins/modules/NAME.py, which Ansible (ansible-doc, argument checks in
// the docs, AWX surveys) reads without Go: names, types, elements, defaults,
// choices, aliases and required must agree.
package ansiblemodtest

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
)

// docOption is one option of a module's DOCUMENTATION.
type docOption struct {
	Type     string `yaml:"type"`
	Elements string `yaml:"elements"`
	Default  any    `yaml:"default"`
	Choices  []any  `yaml:"choices"`
	Aliases  []any  `yaml:"aliases"`
	Required bool   `yaml:"required"`
}

var docRE = regexp.MustCompile(`(?s)DOCUMENTATION\s*=\s*r?"""(.*?)"""`)

// CheckDocumentation reports every difference between spec and the options
// documented in pyFile.
func CheckDocumentation(t testing.TB, spec ansiblemod.Spec, pyFile string) {
	t.Helper()
	src, err := os.ReadFile(pyFile)
	if err != nil {
		t.Fatal(err)
	}
	m := docRE.FindSubmatch(src)
	if m == nil {
		t.Fatalf("%s: no DOCUMENTATION string", pyFile)
	}
	var doc struct {
		Module  string               `yaml:"module"`
		Options map[string]docOption `yaml:"options"`
	}
	if err := yaml.Unmarshal(m[1], &doc); err != nil {
		t.Fatalf("%s: DOCUMENTATION is not YAML: %v", pyFile, err)
	}
	if doc.Module != spec.Name {
		t.Errorf("%s documents module %q, the spec is %q", pyFile, doc.Module, spec.Name)
	}
	for _, name := range union(spec.Params, doc.Options) {
		p, inSpec := spec.Params[name]
		o, inDoc := doc.Options[name]
		switch {
		case !inDoc:
			t.Errorf("%s: option %s is in the Go spec but not documented", pyFile, name)
			continue
		case !inSpec:
			t.Errorf("%s: option %s is documented but not in the Go spec", pyFile, name)
			continue
		}
		check := func(what string, goVal, docVal any) {
			if !reflect.DeepEqual(goVal, docVal) {
				t.Errorf("%s: option %s: %s is %#v in the Go spec, %#v in DOCUMENTATION", pyFile, name, what, goVal, docVal)
			}
		}
		check("type", string(orStr(p.Type)), orStrDoc(o.Type))
		if orStr(p.Type) == ansiblemod.TypeList {
			// ansiblemod converts the elements of a list to strings unless told otherwise.
			check("elements", string(orStr(p.Elements)), orStrDoc(o.Elements))
		} else {
			check("elements", string(p.Elements), o.Elements)
		}
		check("default", normalize(p.Default), normalize(o.Default))
		check("choices", strs(p.Choices), strs(o.Choices))
		check("aliases", strs(p.Aliases), strs(o.Aliases))
		check("required", p.Required, o.Required)
	}
}

func union(a map[string]ansiblemod.Param, b map[string]docOption) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func orStr(t ansiblemod.Type) ansiblemod.Type {
	if t == "" {
		return ansiblemod.TypeStr
	}
	return t
}

func orStrDoc(t string) string {
	if t == "" {
		return "str"
	}
	return t
}

// strs renders a list of names as strings; nil and empty are the same.
func strs[S ~[]E, E any](s S) []string {
	if len(s) == 0 {
		return nil
	}
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprint(v)
	}
	return slices.Clone(out)
}

// normalize makes Go and YAML defaults comparable: whole floats stay floats,
// lists of strings become []any, empty collections stay empty (not nil).
func normalize(v any) any {
	switch x := v.(type) {
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
