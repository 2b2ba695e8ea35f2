package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// askLibvirt asks libvirt the question nova-compute asks at start-up, with
// virsh: cpu-compare (compareCPU, Nova Zed and older) or
// hypervisor-cpu-compare (compareHypervisorCPU, Nova 2023.1 and later), on
// the trial's model and flags. What libvirt refuses (an incompatible CPU,
// an unknown model or feature) is a refusal in libvirt's words; anything
// else virsh fails with (no libvirtd, a bad URI) is an error, because
// libvirt did not answer.
func askLibvirt(t prober.Trial) (prober.Outcome, error) {
	verb := "cpu-compare"
	if t.Check == prober.CheckCompareHypervisorCPU {
		verb = "hypervisor-cpu-compare"
	}
	f, err := os.CreateTemp("", "cpuflags-plugin-sitepolicy-*.xml")
	if err != nil {
		return prober.Outcome{}, fmt.Errorf("CPU definition: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(cpuXML(t.Model, t.Flags)); err != nil {
		f.Close()
		return prober.Outcome{}, fmt.Errorf("CPU definition %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return prober.Outcome{}, fmt.Errorf("CPU definition %s: %w", f.Name(), err)
	}
	args := []string{verb, "--error", f.Name()}
	if t.LibvirtURI != "" {
		args = append([]string{"-c", t.LibvirtURI}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "virsh", args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return prober.Outcome{}, fmt.Errorf("virsh %s: %w", strings.Join(args, " "), err)
	}
	out, ok := verdict(stdout.String(), stderr.String(), err == nil)
	if !ok {
		return prober.Outcome{}, fmt.Errorf("virsh %s: %w: %s", strings.Join(args, " "), err, strings.Join(errorLines(stderr.String()), ": "))
	}
	return out, nil
}

// verdict reads what virsh printed. With --error an incompatible CPU makes
// virsh fail, so success is identical or superset. A failure is libvirt's
// answer when virsh says "Failed to compare host CPU with FILE" (or
// "hypervisor CPU") and gives libvirt's reason on the next lines; any other
// failure (no libvirtd, a bad URI, an unknown option) is no answer: ok false.
func verdict(stdout, stderr string, succeeded bool) (out prober.Outcome, ok bool) {
	if succeeded {
		return prober.Outcome{Accepted: true, Reason: strings.TrimSpace(stdout)}, true
	}
	lines := errorLines(stderr)
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "Failed to compare") {
		return prober.Outcome{}, false
	}
	reason := strings.Join(lines[1:], ": ")
	for _, lost := range []string{"End of file while reading data", "Cannot recv data", "Cannot write data", "client socket is closed"} {
		if strings.Contains(reason, lost) {
			return prober.Outcome{}, false // the connection broke: libvirt did not answer
		}
	}
	if strings.Contains(reason, "not supported by the connection driver") {
		// Nova skips the comparison where the driver cannot make it.
		return prober.Outcome{Accepted: true, Reason: reason}, true
	}
	return prober.Outcome{Reason: reason}, true
}

// errorLines are virsh's stderr lines without their "error: " prefix.
func errorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "error:")); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// cpuXML is the <cpu> nova-compute writes for cpu_mode=custom: the model,
// each flag required, or disabled when it starts with "-".
func cpuXML(model string, flags []string) []byte {
	var b bytes.Buffer
	b.WriteString("<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>")
	xml.EscapeText(&b, []byte(model))
	b.WriteString("</model>\n")
	for _, f := range flags {
		policy, name := "require", strings.TrimPrefix(f, "+")
		if rest, ok := strings.CutPrefix(f, "-"); ok {
			policy, name = "disable", rest
		}
		fmt.Fprintf(&b, "  <feature policy='%s' name='", policy)
		xml.EscapeText(&b, []byte(name))
		b.WriteString("'/>\n")
	}
	b.WriteString("</cpu>\n")
	return b.Bytes()
}
