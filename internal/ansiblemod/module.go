package ansiblemod

import (
	"fmt"
	"maps"
	"slices"
)

// Module is what the module function sees: validated parameters and the
// control settings Ansible passed.
type Module struct {
	// Name is the module name used in messages (_ansible_module_name when
	// present, else Spec.Name).
	Name string
	// Params holds every parameter of the spec under its canonical name,
	// converted to its Go type (string, bool, int, float64, []any,
	// map[string]any, or the raw JSON value); nil when unset without default.
	Params map[string]any
	// CheckMode is true when Ansible runs in check mode: change nothing.
	CheckMode bool
	// Diff is true when Ansible wants a diff (--diff).
	Diff bool
	// NoLog is true when the task has no_log: true.
	NoLog bool
	// Debug mirrors _ansible_debug.
	Debug bool
	// Verbosity is the -v count of the ansible run.
	Verbosity int
	// Tmpdir is the remote temporary directory Ansible created for this
	// task (removed after the run), or "" when not provided.
	Tmpdir string

	spec  Spec
	given map[string]bool
}

func (m *Module) get(name string, want ...Type) any {
	p, ok := m.spec.Params[name]
	if !ok {
		panic(fmt.Sprintf("ansiblemod: module %s reads parameter %q, which is not in its spec (known: %v)", m.Name, name, sortedKeys(m.spec.Params)))
	}
	if !slices.Contains(want, p.Type.orStr()) {
		panic(fmt.Sprintf("ansiblemod: module %s reads parameter %q of type %s as %v", m.Name, name, p.Type.orStr(), want))
	}
	return m.Params[name]
}

// Given reports whether the user supplied the parameter (under its name or
// an alias) with a non-null value, as opposed to it being defaulted.
func (m *Module) Given(name string) bool {
	if _, ok := m.spec.Params[name]; !ok {
		panic(fmt.Sprintf("ansiblemod: module %s asks for parameter %q, which is not in its spec", m.Name, name))
	}
	return m.given[name]
}

// IsSet reports whether the parameter has a value (given or defaulted).
func (m *Module) IsSet(name string) bool {
	_ = m.get(name, knownTypes...)
	return m.Params[name] != nil
}

// Str returns a str, path or raw-string parameter ("" when unset).
// Reading a name not in the spec, or of another type, panics; Run turns the
// panic into a failed result.
func (m *Module) Str(name string) string {
	s, _ := m.get(name, TypeStr, TypePath, TypeRaw).(string)
	return s
}

// Path returns a path parameter, with ~ and environment variables expanded.
func (m *Module) Path(name string) string {
	s, _ := m.get(name, TypePath).(string)
	return s
}

// Bool returns a bool parameter (false when unset).
func (m *Module) Bool(name string) bool {
	b, _ := m.get(name, TypeBool).(bool)
	return b
}

// Int returns an int parameter (0 when unset).
func (m *Module) Int(name string) int {
	i, _ := m.get(name, TypeInt).(int)
	return i
}

// Float returns a float parameter (0 when unset).
func (m *Module) Float(name string) float64 {
	f, _ := m.get(name, TypeFloat).(float64)
	return f
}

// List returns a list parameter with each element in its string form (nil
// when unset).
func (m *Module) List(name string) []string {
	l, _ := m.get(name, TypeList).([]any)
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = fmt.Sprint(e)
	}
	return out
}

// Dict returns a copy of a dict parameter (nil when unset).
func (m *Module) Dict(name string) map[string]any {
	d, _ := m.get(name, TypeDict).(map[string]any)
	return maps.Clone(d)
}
