package main

import (
	"testing"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod/ansiblemodtest"
)

// TestSpecMatchesDocumentation: the Go argument spec and
// plugins/modules/nova_cpu_flag_probe.py say the same (names, types, defaults, choices,
// aliases, required).
func TestSpecMatchesDocumentation(t *testing.T) {
	ansiblemodtest.CheckDocumentation(t, spec, "../../plugins/modules/nova_cpu_flag_probe.py")
}
