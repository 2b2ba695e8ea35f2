package ansiblemod

import (
	"errors"
	"fmt"
)

// Result is what the module function fills in; Run turns it into the JSON
// object Ansible reads.
type Result struct {
	// Changed reports that the module changed (or, in check mode, would change) something.
	Changed bool
	// Skipped marks the task as skipped (shown as SKIPPED); set Msg to say why.
	Skipped bool
	// Msg is the human-readable summary.
	Msg string
	// Facts become ansible_facts on the host.
	Facts map[string]any
	// Diff entries are emitted only when Ansible runs with --diff.
	Diff []DiffEntry
	// Warnings are shown as [WARNING] lines.
	Warnings []string
	// Deprecations are shown as [DEPRECATION WARNING] lines.
	Deprecations []Deprecation
	// Extra holds any further result keys. Reserved keys (changed, failed,
	// msg, skipped, ansible_facts, diff, warnings, deprecations, invocation,
	// exception) and keys starting with _ansible_ are dropped with a warning.
	Extra map[string]any
}

// DiffEntry is one before/after pair shown by ansible --diff.
type DiffEntry struct {
	// Before is the old content (string or structured data).
	Before any `json:"before,omitempty"`
	// After is the new content.
	After any `json:"after,omitempty"`
	// BeforeHeader labels Before (e.g. a file name).
	BeforeHeader string `json:"before_header,omitempty"`
	// AfterHeader labels After.
	AfterHeader string `json:"after_header,omitempty"`
	// Prepared is a ready-made diff text shown as is.
	Prepared string `json:"prepared,omitempty"`
}

// Deprecation is one deprecation notice.
type Deprecation struct {
	// Msg says what is deprecated and what to use instead.
	Msg string `json:"msg"`
	// Version is the collection version that removes it.
	Version string `json:"version,omitempty"`
	// Date is the removal date (YYYY-MM-DD), instead of Version.
	Date string `json:"date,omitempty"`
	// CollectionName is the FQCN of the deprecating collection.
	CollectionName string `json:"collection_name,omitempty"`
}

// Warn adds a warning.
func (r *Result) Warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// Set sets an extra result key.
func (r *Result) Set(key string, value any) {
	if r.Extra == nil {
		r.Extra = map[string]any{}
	}
	r.Extra[key] = value
}

// AddDiff appends a diff entry.
func (r *Result) AddDiff(d DiffEntry) {
	r.Diff = append(r.Diff, d)
}

// FailError is an error carrying extra result keys for the failed result
// (e.g. the flags nova-compute rejected). Build it with WithFields.
type FailError struct {
	// Err is the failure; its message becomes msg.
	Err error
	// Fields are added to the failed result (reserved keys are dropped).
	Fields map[string]any
}

// Error returns the message of the wrapped error.
func (e *FailError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *FailError) Unwrap() error { return e.Err }

// WithFields wraps err so that the failed result also carries fields.
func WithFields(err error, fields map[string]any) error {
	if err == nil {
		return nil
	}
	return &FailError{Err: err, Fields: fields}
}

// fieldsOf collects the fields of every FailError in err's chain (outer
// ones win).
func fieldsOf(err error) map[string]any {
	out := map[string]any{}
	var chain []*FailError
	for e := err; e != nil; {
		var fe *FailError
		if !errors.As(e, &fe) {
			break
		}
		chain = append(chain, fe)
		e = fe.Err
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i].Fields {
			out[k] = v
		}
	}
	return out
}
