// Package nova holds the tests that need the real nova-compute rig
// (tests/rig/nova-rig.sh up). They run only with CPUFLAGS_RIG=1, as root;
// tests/nova/run.sh sets that up.
package nova

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
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
	"github.com/kvm-migration/cpuflags/tests/nova/hostcpu"
)

var (
	bin      string
	hostBin  string
	pluginGo string
	env      = map[string]string{}
	// host holds the expected answers, derived from this host's own libvirt
	// (tests/nova/hostcpu) before any test runs.
	host *hostcpu.Host
)

// rigAbsent is set when CPUFLAGS_RIG is unset: every test then skips, saying so.
var rigAbsent bool

// needRig skips t when the rig is not up.
func needRig(t *testing.T) {
	t.Helper()
	if rigAbsent {
		t.Skip("SKIP: the nova rig is not up; set CPUFLAGS_RIG=1 with the rig up (tests/nova/run.sh)")
	}
}

func TestMain(m *testing.M) {
	if os.Getenv("CPUFLAGS_RIG") != "1" {
		rigAbsent = true
		os.Exit(m.Run())
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	h, err := hostcpu.Derive(ctx, hostcpu.Options{NovaVersion: os.Getenv("CPUFLAGS_NOVA_VERSION")}, hostcpu.Candidates())
	cancel()
	if h != nil {
		for _, l := range h.Lines() {
			fmt.Println(l)
		}
	}
	if err != nil {
		fmt.Println("deriving the expected answers from this host:", err)
		os.Exit(1)
	}
	host = h
	dir, _ := os.MkdirTemp("", "cpuflags-rig-bin-")
	bin = os.Getenv("NOVA_PROBE_BIN")
	// The example prober is a Go module of its own: built in its directory.
	type source struct{ dir, pkg string }
	builds := map[string]source{"cpuflags-prober-host": {".", "../../cmd/cpuflags-prober-host"}, "cpuflags-plugin-sitepolicy": {"../../examples/prober", "."}}
	if bin == "" {
		bin = filepath.Join(dir, "nova_cpu_flag_probe")
		builds["nova_cpu_flag_probe"] = source{".", "../../cmd/nova_cpu_flag_probe"}
	}
	for name, src := range builds {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), src.pkg)
		cmd.Dir = src.dir
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Printf("go build %s in %s: %v\n%s", src.pkg, src.dir, err, b)
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
	Failed   bool       `json:"failed"`
	Msg      string     `json:"msg"`
	Changed  bool       `json:"changed"`
	Accepted []string   `json:"accepted"`
	Disabled []string   `json:"disabled"`
	Rejected rejections `json:"rejected"`
	Restarts int        `json:"restarts"`
	Steps    []struct {
		Reason string `json:"reason"`
	} `json:"steps"`
	Recovered []json.RawMessage `json:"recovered"`
	Confirmed string            `json:"confirmed"`
	Backup    string            `json:"backup"`
	Diff      any               `json:"diff"`
}

// rejection is one rejected flag as the module reports it.
type rejection struct {
	Given  string `json:"given"`
	Reason string `json:"reason"`
	By     string `json:"by"`
}

// rejections prints as text, one "flag (by): reason" per flag, sorted.
type rejections map[string]rejection

func (r rejections) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r)) {
		parts = append(parts, fmt.Sprintf("%s (by %s): %s", k, r[k].By, r[k].Reason))
	}
	return "{" + strings.Join(parts, "; ") + "}"
}

// checkRefusals checks every flag the host refuses is rejected with the
// host's own words, and that the accepted ones are not.
func checkRefusals(t *testing.T, r result, skip ...string) {
	t.Helper()
	for key, said := range host.Refused() {
		if slices.Contains(skip, key) {
			continue
		}
		got, ok := r.Rejected[key]
		if !ok {
			t.Errorf("%s not rejected, though the host's libvirt said %q; rejected: %v", key, said, r.Rejected)
			continue
		}
		if !strings.Contains(got.Reason, said) {
			t.Errorf("%s rejected for %q, not in libvirt's words %q", key, got.Reason, said)
		}
	}
	for _, key := range host.MustRefuse() {
		if _, ok := r.Rejected[key]; !ok && !slices.Contains(skip, key) {
			t.Errorf("%s (no host like this one has it) not rejected: %v", key, r.Rejected)
		}
	}
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

// TestApplyIdempotentCheckMode applies the suite's candidates (libvirt
// names, Linux names, a Linux-only flag, the other vendor's features, an
// unknown name) and expects exactly what the host's libvirt accepts.
func TestApplyIdempotentCheckMode(t *testing.T) {
	needRig(t)
	orig := original(t)
	candidates, wantAccepted := host.Given(), host.Accepted()
	t.Logf("derived from the host (`%s`): expect accepted %v, refused %v", host.Command, wantAccepted, slices.Sorted(maps.Keys(host.Refused())))
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
	checkRefusals(t, r)
	if !strings.Contains(r.Rejected["constant_tsc"].Reason, "Unknown CPU feature constant_tsc") {
		t.Errorf("the Linux-only flag is not refused in libvirt's words: %v", r.Rejected)
	}
	if r.Restarts > 2 || !r.Changed {
		t.Errorf("auto with apply: restarts=%d changed=%v", r.Restarts, r.Changed)
	}
	conf, _ := os.ReadFile(env["NOVA_CONF"])
	if line := "cpu_model_extra_flags = " + strings.Join(wantAccepted, ",") + "\n"; len(wantAccepted) > 0 && !strings.Contains(string(conf), line) {
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
// the original nova.conf with nova-compute running. The middle candidate is
// a feature no host of this vendor has, so the first trial is refused.
func TestNovaComputeKilledMidProbe(t *testing.T) {
	needRig(t)
	orig := original(t)
	never := host.NeverHere()[0]
	cands := []string{"pcid", never, "x2apic"}
	wantAccepted := host.AcceptedOf(cands...)
	t.Logf("derived from the host: expect accepted %v of %v (%s: %s)", wantAccepted, cands, never, host.Refused()[never])
	before := novaPID()
	cmd := exec.Command(bin, args(t, map[string]any{"candidates": cands, "strategy": "bisect"}))
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
	if !slices.Equal(r.Accepted, wantAccepted) || len(r.Rejected) != len(cands)-len(wantAccepted) {
		t.Errorf("accepted %v rejected %v, want accepted %v", r.Accepted, r.Rejected, wantAccepted)
	}
	if _, ok := r.Rejected[never]; !ok {
		t.Errorf("%s not rejected: %v", never, r.Rejected)
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
	needRig(t)
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
	needRig(t)
	original(t)
	deny := filepath.Join(t.TempDir(), "deny.txt")
	os.WriteFile(deny, []byte("pcid # not on our older hosts\n"), 0o644)
	r := runModule(t, args(t, map[string]any{"candidates": host.Given(), "strategy": "plugin:sitepolicy",
		"plugin_dir": pluginGo, "plugin_host": hostBin, "plugin_options": map[string]any{"deny_list": deny}, "_ansible_check_mode": true}))
	if r.Failed {
		t.Fatalf("module failed: %s", r.Msg)
	}
	want := slices.DeleteFunc(host.Accepted(), func(f string) bool { return f == "pcid" })
	t.Logf("derived from the host: expect accepted %v (pcid denied by the site policy)", want)
	if !slices.Equal(r.Accepted, want) || !strings.Contains(r.Rejected["pcid"].Reason, "site policy") {
		t.Errorf("accepted %v rejected %v, want accepted %v", r.Accepted, r.Rejected, want)
	}
	checkRefusals(t, r, "pcid")
}

// TestDisabledFeaturesLand: a model of the host's vendor that the installed
// Nova's start-up check refuses whole here, and accepts with the features
// libvirt says are missing disabled (derived from this host's libvirt by
// hostcpu.FindDisabling: EPYC with svm off on an AMD host without SVM), is
// applied with those features as disabled_flags: nova-compute is restarted
// on it and runs; the same model without them is refused by the real
// nova-compute, and nova.conf and nova-compute are back as they were.
func TestDisabledFeaturesLand(t *testing.T) {
	needRig(t)
	original(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	d, err := hostcpu.FindDisabling(ctx, hostcpu.Options{}, host)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if d == nil {
		t.Skipf("SKIP: every %s model this host's libvirt lists runs whole here, or none runs with at most a few features disabled: no model to disable features of", host.Vendor)
	}
	t.Logf("derived from the host: %s whole: %s; with %v disabled: %s", d.Model, d.WholeSaid, d.Disabled, d.Said)
	pid := novaPID()
	r := runModule(t, args(t, map[string]any{"model": d.Model, "candidates": []string{}, "disabled_flags": d.Disabled, "apply": true, "require_all": true}))
	if r.Failed {
		t.Fatalf("module failed on %s with %v disabled: %s", d.Model, d.Disabled, r.Msg)
	}
	t.Cleanup(func() { os.Remove(r.Backup) })
	var want []string
	for _, f := range d.Disabled {
		want = append(want, "-"+f)
	}
	if !slices.Equal(r.Disabled, want) {
		t.Errorf("disabled %v, want %v", r.Disabled, want)
	}
	conf, _ := os.ReadFile(env["NOVA_CONF"])
	for _, line := range []string{"cpu_models = " + d.Model + "\n", "cpu_model_extra_flags = " + strings.Join(want, ",") + "\n"} {
		if !strings.Contains(string(conf), line) {
			t.Errorf("nova.conf lacks %q:\n%s", line, conf)
		}
	}
	if now := novaPID(); now == 0 || now == pid {
		t.Fatalf("nova-compute was not restarted onto %s with %v disabled (pid %d -> %d)", d.Model, want, pid, now)
	}

	// The same model whole: the real nova-compute refuses it, and the probe
	// puts the accepted configuration back.
	applied := conf
	r2 := runModule(t, args(t, map[string]any{"model": d.Model, "candidates": []string{}, "apply": true, "require_all": true}))
	if !r2.Failed || !strings.Contains(r2.Msg, "refused the base model "+d.Model) {
		t.Errorf("%s whole: want the base model refused, got failed=%v: %s", d.Model, r2.Failed, r2.Msg)
	}
	said := ""
	for _, s := range r2.Steps {
		said += s.Reason + "; "
	}
	// Nova 26 does not repeat libvirt's list of what is missing.
	if !strings.Contains(said, "InvalidCPUInfo") || !strings.Contains(said, "Configured CPU model: "+d.Model) {
		t.Errorf("%s whole: no trial refused by nova-compute's CPU check: %s", d.Model, said)
	}
	if cur, _ := os.ReadFile(env["NOVA_CONF"]); !bytes.Equal(cur, applied) {
		t.Errorf("nova.conf is not back on %s with %v disabled:\n%s", d.Model, want, cur)
	}
	if !novaRunning() {
		t.Error("nova-compute left stopped")
	}
}
