package proberplugin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// TestLoadExample builds the example prober (examples/prober, a Go module of
// its own that imports only this SDK, as a site's prober would) and loads it
// through go-plugin's net/rpc transport.
func TestLoadExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example prober")
	}
	dir := t.TempDir()
	if out, err := exec.Command("go", "build", "-C", "../../examples/prober", "-o", filepath.Join(dir, FilePrefix+"sitepolicy"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	deny := filepath.Join(dir, "deny.txt")
	if err := os.WriteFile(deny, []byte("hle # TSX is off on our fleet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir, "sitepolicy")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Kill()
	info, err := c.Prober.Info()
	if err != nil || info.Name != "sitepolicy" {
		t.Errorf("info %+v %v", info, err)
	}
	opts := map[string]string{"deny_list": deny, "libvirt": "false"}
	out, err := c.Prober.Check(prober.Trial{Model: "Westmere", Flags: []string{"pcid", "hle"}, Check: prober.CheckCompareCPU, Options: opts})
	if err != nil || out.Accepted || !strings.Contains(out.Reason, "denies hle: TSX is off on our fleet") {
		t.Errorf("denied flag: %+v %v", out, err)
	}
	out, err = c.Prober.Check(prober.Trial{Model: "Westmere", Flags: []string{"pcid", "-hle"}, Check: prober.CheckCompareCPU, Options: opts})
	if err != nil || !out.Accepted {
		t.Errorf("disabling a denied flag is allowed: %+v %v", out, err)
	}
	_, err = c.Prober.Check(prober.Trial{Model: "Westmere", Flags: []string{"pcid"}, Options: map[string]string{"deny_list": filepath.Join(dir, "missing")}})
	if err == nil || !strings.Contains(err.Error(), "deny list") {
		t.Errorf("a missing deny list is an error, not a refusal: %v", err)
	}
}

func TestPathChecks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, FilePrefix+"x")
	os.WriteFile(p, []byte("#!/bin/sh\n"), 0o777)
	os.Chmod(p, 0o777)
	tests := []struct {
		name, reason, plugin, wantErr string
		mode                          os.FileMode
	}{
		{name: "world-writable", reason: "anyone could replace what root runs", plugin: "x", mode: 0o777, wantErr: "writable by group or others"},
		{name: "not executable", reason: "cannot run", plugin: "x", mode: 0o644, wantErr: "not an executable"},
		{name: "ok", reason: "root-owned 0755", plugin: "x", mode: 0o755},
		{name: "missing", reason: "names the expected file", plugin: "y", mode: 0o755, wantErr: FilePrefix + "y"},
		{name: "bad name", reason: "no path tricks", plugin: "../x", mode: 0o755, wantErr: "use lower-case"},
	}
	for _, tt := range tests {
		os.Chmod(p, tt.mode)
		_, err := Path(dir, tt.plugin)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err %v, want %q (%s)", tt.name, err, tt.wantErr, tt.reason)
		}
	}
}
