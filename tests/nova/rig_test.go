// Package nova holds the tests that need the real nova-compute rig
// (tests/rig/nova-rig.sh up). They run only with CPUFLAGS_RIG=1, as root;
// tests/nova/run.sh sets that up.
package nova

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

var (
	bin      string
	hostBin  string
	pluginGo string
	env      = map[string]string{}
)

func TestMain(m *testing.M) {
	if os.Getenv("CPUFLAGS_RIG") != "1" {
		fmt.Println("skipping rig tests: set CPUFLAGS_RIG=1 with the rig up (tests/nova/run.sh)")
		os.Exit(0)
	}
	out, err := exec.Command("bash", "../rig/nova-rig.sh", "env").Output()
	if err != nil {
		fmt.Println("nova-rig.sh env:", err)
		os.Exit(1)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = strings.Trim(v, "'")
		}
	}
	dir, _ := os.MkdirTemp("", "cpuflags-rig-bin-")
	bin = os.Getenv("NOVA_PROBE_BIN")
	builds := map[string]string{"cpuflags-prober-host": "../../cmd/cpuflags-prober-host", "cpuflags-plugin-sitepolicy": "../../examples/prober"}
	if bin == "" {
		bin = filepath.Join(dir, "nova_cpu_flag_probe")
		builds["nova_cpu_flag_probe"] = "../../cmd/nova_cpu_flag_probe"
	}
	for name, pkg := range builds {
		if b, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg).CombinedOutput(); err != nil {
			fmt.Printf("go build %s: %v\n%s", pkg, err, b)
			os.Exit(1)
		}
	}
	hostBin, pluginGo = filepath.Join(dir, "cpuflags-prober-host"), dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is the part of the module's result the tests read.
type result struct {
	Failed   bool                       `json:"failed"`
	Msg      string                     `json:"msg"`
	Changed  bool                       `json:"changed"`
	Accepted []string                   `json:"accepted"`
	Rejected map[string]json.RawMessage `json:"rejected"`
	Restarts int                        `json:"restarts"`
	Steps    []struct {
		Reason string `json:"reason"`
	} `json:"steps"`
	Recovered []json.RawMessage `json:"recovered"`
	Confirmed string            `json:"confirmed"`
	Backup    string            `json:"backup"`
	Diff      any               `json:"diff"`
}

func args(t *testing.T, extra map[string]any) string {
	a := map[string]any{
		"model": "Westmere", "nova_conf": env["NOVA_CONF"],
		"service": map[string]any{"kind": env["NOVA_SERVICE_KIND"], "unit": env["NOVA_SERVICE_UNIT"],
			"pid_file": env["NOVA_PIDFILE"], "log_path": env["NOVA_LOG"]},
	}
	for k, v := range extra {
		a[k] = v
	}
	b, _ := json.Marshal(a)
	p := filepath.Join(t.TempDir(), "args.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runModule(t *testing.T, argsPath string) result {
	t.Helper()
	cmd := exec.Command(bin, argsPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	t.Logf("module stderr:\n%s", stderr.String())
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("module output is not one JSON object: %v\n%s", err, out)
	}
	return r
}

// original saves nova.conf and restores it (restarting nova-compute when it
// differs or does not run) when the test ends.
func original(t *testing.T) []byte {
	conf := env["NOVA_CONF"]
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	startPID := novaPID()
	t.Cleanup(func() {
		// A nova-compute restarted during the test may run on another
		// configuration even when nova.conf is back: restart it then too.
		cur, _ := os.ReadFile(conf)
		if bytes.Equal(cur, orig) && novaPID() == startPID && startPID != 0 {
			return
		}
		t.Logf("cleanup: restoring %s and restarting nova-compute", conf)
		if err := os.WriteFile(conf, orig, 0o640); err != nil {
			t.Error(err)
		}
		ctl, _ := novaservice.New(novaservice.Spec{Kind: novaservice.KindSysV, Unit: env["NOVA_SERVICE_UNIT"], PIDFile: env["NOVA_PIDFILE"]})
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		v, err := novaservice.RestartAndWait(ctx, ctl, env["NOVA_LOG"], novaservice.WaitOptions{})
		if err != nil || !v.Accepted {
			t.Errorf("cleanup restart: %v %+v", err, v)
		}
	})
	return orig
}

func novaPID() int {
	b, err := os.ReadFile(env["NOVA_PIDFILE"])
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if strings.Contains(string(st), "State:\tZ") {
		return 0
	}
	return pid
}

func novaRunning() bool { return novaPID() > 0 }

// candidates mixes good flags in libvirt names, Linux names (sse4_1,
// tsc_deadline_timer), a Linux-only synthetic flag (constant_tsc) and
// features this AMD host lacks (avx512f, hle: checked with virsh cpu-compare).
var candidates = []string{"pcid", "sse4_1", "tsc_deadline_timer", "constant_tsc", "avx512f", "x2apic", "hle", "avx2"}
var wantAccepted = []string{"pcid", "sse4.1", "tsc-deadline", "x2apic", "avx2"}

func TestApplyIdempotentCheckMode(t *testing.T) {
	orig := original(t)
	r := runModule(t, args(t, map[string]any{"candidates": candidates, "apply": true, "_ansible_diff": true}))
	if r.Failed {
		t.Fatalf("module failed: %s", r.Msg)
	}
	if r.Backup == "" {
		t.Error("apply changed nova.conf but reported no backup")
	} else if b, err := os.ReadFile(r.Backup); err != nil || !bytes.Equal(b, orig) {
		t.Errorf("backup %s does not hold the original (%v)", r.Backup, err)
	}
	t.Cleanup(func() { os.Remove(r.Backup) })
	if !slices.Equal(r.Accepted, wantAccepted) {
		t.Errorf("accepted %v, want %v", r.Accepted, wantAccepted)
	}
	for _, f := range []string{"constant_tsc", "avx512f", "hle"} {
		if len(r.Rejected[f]) == 0 {
			t.Errorf("%s not rejected: %v", f, r.Rejected)
		}
	}
	if !strings.Contains(string(r.Rejected["constant_tsc"]), "Unknown CPU feature constant_tsc") ||
		!strings.Contains(string(r.Rejected["avx512f"]), "does not provide required features: avx512f") {
		t.Errorf("reasons are not libvirt's words: %s / %s", r.Rejected["constant_tsc"], r.Rejected["avx512f"])
	}
	if r.Restarts > 2 || !r.Changed {
		t.Errorf("auto with apply: restarts=%d changed=%v", r.Restarts, r.Changed)
	}
	conf, _ := os.ReadFile(env["NOVA_CONF"])
	if !strings.Contains(string(conf), "cpu_model_extra_flags = pcid,sse4.1,tsc-deadline,x2apic,avx2\n") {
		t.Errorf("nova.conf does not hold exactly the accepted flags:\n%s", conf)
	}
	if !novaRunning() {
		t.Fatal("nova-compute is not running after apply")
	}
	if d := fmt.Sprint(r.Diff); strings.Contains(d, "guest:guest") {
		t.Errorf("diff leaks other values: %s", d)
	}

	// Second run: nothing changes, and the confirming restart is skipped.
	pid := novaPID()
	r2 := runModule(t, args(t, map[string]any{"candidates": candidates, "apply": true}))
	if r2.Failed || r2.Changed || r2.Restarts != 0 || r2.Confirmed == "" {
		t.Errorf("second run: failed=%v changed=%v restarts=%d confirmed=%q msg=%s", r2.Failed, r2.Changed, r2.Restarts, r2.Confirmed, r2.Msg)
	}
	if novaPID() != pid {
		t.Error("second run restarted nova-compute")
	}
	conf2, _ := os.ReadFile(env["NOVA_CONF"])
	if !bytes.Equal(conf, conf2) {
		t.Error("second run changed nova.conf")
	}

	// Check mode (back on the original): predicts, changes nothing.
	if err := os.WriteFile(env["NOVA_CONF"], orig, 0o640); err != nil {
		t.Fatal(err)
	}
	r3 := runModule(t, args(t, map[string]any{"candidates": candidates, "apply": true, "_ansible_check_mode": true}))
	if r3.Failed || !r3.Changed || r3.Restarts != 0 || !slices.Equal(r3.Accepted, wantAccepted) {
		t.Errorf("check mode: %+v", r3)
	}
	if novaPID() != pid {
		t.Error("check mode restarted nova-compute")
	}
	conf3, _ := os.ReadFile(env["NOVA_CONF"])
	if !bytes.Equal(conf3, orig) {
		t.Error("check mode changed nova.conf")
	}
}

// TestNovaComputeKilledMidProbe kills nova-compute while the probe waits for
// its verdict: not a rejection; the step is retried and the probe ends on
// the original nova.conf with nova-compute running.
func TestNovaComputeKilledMidProbe(t *testing.T) {
	orig := original(t)
	before := novaPID()
	cmd := exec.Command(bin, args(t, map[string]any{"candidates": []string{"pcid", "avx512f", "x2apic"}, "strategy": "bisect"}))
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := 0
	deadline := time.Now().Add(2 * time.Minute)
	for killed == 0 && time.Now().Before(deadline) {
		if pid := novaPID(); pid != 0 && pid != before {
			if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
				killed = pid
				t.Logf("killed nova-compute pid %d during the first trial", pid)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Wait()
	t.Logf("module stderr:\n%s", stderr.String())
	if killed == 0 {
		t.Fatal("never saw the probe's restart")
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if r.Failed {
		t.Fatalf("module failed: %s", r.Msg)
	}
	if !slices.Equal(r.Accepted, []string{"pcid", "x2apic"}) || len(r.Rejected) != 1 {
		t.Errorf("accepted %v rejected %v", r.Accepted, r.Rejected)
	}
	if !strings.Contains(out.String(), "restarted again after attempt 1") {
		t.Error("the retried step is not reported")
	}
	cur, _ := os.ReadFile(env["NOVA_CONF"])
	if !bytes.Equal(cur, orig) || !novaRunning() {
		t.Errorf("not back on the original nova.conf with nova-compute running (running=%v)", novaRunning())
	}
}

// TestModuleKilledMidProbe kill -9s the module during a probe: the detached
// watchdog restores nova.conf and restarts nova-compute on it.
func TestModuleKilledMidProbe(t *testing.T) {
	orig := original(t)
	conf := env["NOVA_CONF"]
	cmd := exec.Command(bin, args(t, map[string]any{"candidates": []string{"pcid", "avx512f", "x2apic", "avx2"}, "strategy": "one_by_one"}))
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cur, _ := os.ReadFile(conf)
		if strings.Contains(string(cur), "avx512f") {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the probe never reached its second trial")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // in the middle of the restart
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	t.Log("killed the module during the trial with avx512f")
	journal := conf + ".cpuflags-probe.json"
	deadline = time.Now().Add(3 * time.Minute)
	for {
		if _, err := os.Stat(journal); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watchdog did not finish within 3 minutes")
		}
		time.Sleep(500 * time.Millisecond)
	}
	cur, _ := os.ReadFile(conf)
	if !bytes.Equal(cur, orig) {
		t.Errorf("nova.conf is not the original after the watchdog:\n%s", cur)
	}
	if !novaRunning() {
		t.Error("nova-compute does not run after the watchdog's recovery")
	}
	rep, err := os.ReadFile(conf + ".cpuflags-probe.recovered.json")
	if err != nil || !strings.Contains(string(rep), `"accepted":true`) {
		t.Errorf("watchdog report: %s %v", rep, err)
	}
	os.Remove(conf + ".cpuflags-probe.recovered.json")
}

// TestPluginOnRig loads the example prober through the plugin host and asks
// the rig's libvirt, in check mode.
func TestPluginOnRig(t *testing.T) {
	original(t)
	deny := filepath.Join(t.TempDir(), "deny.txt")
	os.WriteFile(deny, []byte("pcid # not on our older hosts\n"), 0o644)
	r := runModule(t, args(t, map[string]any{"candidates": candidates, "strategy": "plugin:sitepolicy",
		"plugin_dir": pluginGo, "plugin_host": hostBin, "plugin_options": map[string]any{"deny_list": deny}, "_ansible_check_mode": true}))
	if r.Failed {
		t.Fatalf("module failed: %s", r.Msg)
	}
	want := []string{"sse4.1", "tsc-deadline", "x2apic", "avx2"}
	if !slices.Equal(r.Accepted, want) || !strings.Contains(string(r.Rejected["pcid"]), "site policy") ||
		!strings.Contains(string(r.Rejected["hle"]), "does not provide required features: hle") {
		t.Errorf("accepted %v rejected %v", r.Accepted, r.Rejected)
	}
}
