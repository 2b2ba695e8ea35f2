package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledModuleIsRecovered kills the real module binary (kill -9) in the
// middle of a probe against the FAKE nova-compute: its detached watchdog
// must restore the original nova.conf, restart the service and verify it,
// and the next run must report the recovery.
func TestKilledModuleIsRecovered(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module")
	}
	work := t.TempDir()
	bin := filepath.Join(work, "nova_cpu_flag_probe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	fake, _ := filepath.Abs("testdata/fake-nova-compute.sh")
	orig := "[libvirt]\nvirt_type = kvm\ncpu_mode = custom\ncpu_models = Westmere\n"
	conf := filepath.Join(work, "nova.conf")
	must(t, os.WriteFile(conf, []byte(orig), 0o640))
	must(t, os.WriteFile(filepath.Join(work, "bad-flags"), []byte("avx512f\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(work, "restart-delay"), []byte("1\n"), 0o644))
	args := fmt.Sprintf(`{"model": "Westmere", "strategy": "one_by_one", "nova_check": "none",
 "candidates": ["pcid", "avx512f", "x2apic", "sse4.2"], "nova_conf": %q, "extra_config_files": [],
 "accept_grace": 0.2, "timeout": 20,
 "service": {"kind": "command", "restart_command": ["sh", %q, "restart"],
             "status_command": ["sh", %q, "status"], "log_path": %q}}`,
		conf, fake, fake, filepath.Join(work, "nova-compute.log"))
	argsPath := filepath.Join(work, "args.json")
	must(t, os.WriteFile(argsPath, []byte(args), 0o644))

	cmd := exec.Command(bin, argsPath)
	cmd.Env = append(os.Environ(), "WORK="+work)
	cmd.Dir = work
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	must(t, cmd.Start())
	journal := conf + ".cpuflags-probe.json"
	// Wait until the probe has edited nova.conf (second trial), then kill it.
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(conf)
		if _, err := os.Stat(journal); err == nil && strings.Contains(string(data), "avx512f") {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("probe never reached its second trial; stdout: %s", stdout.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	if stdout.Len() != 0 {
		t.Errorf("a killed module printed %q", stdout.String())
	}
	// The watchdog restores, restarts (1 s delay), removes the journal and
	// then, still holding the probe lock, writes its report.
	deadline = time.Now().Add(30 * time.Second)
	for {
		_, jerr := os.Stat(journal)
		_, rerr := os.Stat(conf + ".cpuflags-probe.recovered.json")
		if os.IsNotExist(jerr) && rerr == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("journal still present 30 s after the kill: no watchdog recovery")
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, _ := os.ReadFile(conf)
	if string(got) != orig {
		t.Errorf("nova.conf after recovery:\n%s\nwant the original:\n%s", got, orig)
	}
	if _, err := os.Stat(filepath.Join(work, "running")); err != nil {
		t.Error("fake nova-compute is not running after the recovery")
	}
	rep, err := os.ReadFile(conf + ".cpuflags-probe.recovered.json")
	if err != nil || !strings.Contains(string(rep), `"by":"watchdog"`) || !strings.Contains(string(rep), `"accepted":true`) {
		t.Errorf("watchdog report %s (%v)", rep, err)
	}

	// The next run reports the recovery and probes normally.
	os.Remove(filepath.Join(work, "restart-delay"))
	cmd = exec.Command(bin, argsPath)
	cmd.Env = append(os.Environ(), "WORK="+work)
	out, _ := cmd.Output()
	for _, want := range []string{`"recovered":[{"accepted":true`, `"by":"watchdog"`, `"accepted":["pcid","x2apic","sse4.2"]`, `died; its watchdog restored nova.conf`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("second run output lacks %s:\n%s", want, out)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
