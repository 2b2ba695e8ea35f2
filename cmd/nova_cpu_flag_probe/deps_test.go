package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoGoPluginInModule guards the module's weight: Ansible copies it to
// every hypervisor for every task, so go-plugin and gRPC live only in
// cmd/cpuflags-prober-host.
func TestNoGoPluginInModule(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "hashicorp/go-plugin") || strings.Contains(dep, "google.golang.org/grpc") {
			t.Errorf("the module links %s; reach plugins through cpuflags-prober-host instead", dep)
		}
	}
}
