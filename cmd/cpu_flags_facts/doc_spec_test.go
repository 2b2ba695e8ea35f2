package main

import (
	"testing"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod/ansiblemodtest"
)

// TestSpecMatchesDocumentation: the Go argument spec and
// plugins/modules/cpu_flags_facts.py say the same (names, types, defaults, choices,
// aliases, required).
func TestSpecMatchesDocumentation(t *testing.T) {
	ansiblemodtest.CheckDocumentation(t, spec, "../../plugins/modules/cpu_flags_facts.py")
}
