package libvirt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultTimeout bounds every virsh call when Client.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// stdinFile is the file name virsh is given when the XML comes on stdin.
const stdinFile = "/dev/stdin"

// Results of a CPU comparison (Verdict.Result).
const (
	// ResultIdentical: the CPUs are identical (compatible).
	ResultIdentical = "identical"
	// ResultSuperset: the host or hypervisor CPU is a superset (compatible).
	ResultSuperset = "superset"
	// ResultIncompatible: the guest CPU asks for something the host lacks.
	ResultIncompatible = "incompatible"
	// ResultError: libvirt refused the comparison, e.g. "Unknown CPU feature X".
	// Nova treats this like incompatible and stops.
	ResultError = "error"
	// ResultUnsupported: the connection driver has no such comparison
	// (VIR_ERR_NO_SUPPORT). Nova logs it and carries on, so it counts as
	// compatible, but nothing was checked.
	ResultUnsupported = "unsupported"
)

// Client asks libvirt through a Runner (usually Virsh).
type Client struct {
	// R runs virsh.
	R Runner
	// Timeout bounds each virsh call; zero means DefaultTimeout.
	Timeout time.Duration
}

// Verdict is libvirt's answer to a CPU comparison.
type Verdict struct {
	// Compatible is what nova-compute concludes: true for identical,
	// superset (and unsupported, where Nova skips the check).
	Compatible bool `json:"compatible"`
	// Result is identical, superset, incompatible, error or unsupported.
	Result string `json:"result"`
	// Message is libvirt's own words, e.g. "internal error: Unknown CPU feature sse4_1".
	Message string `json:"message"`
}

func (c Client) run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	if c.R == nil {
		return nil, errors.New("libvirt client has no Runner; use Client{R: Virsh{}}")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := c.R.Run(ctx, stdin, args...)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ErrUnreachable) {
		err = fmt.Errorf("virsh %s: %w: no answer within %s: %w (is libvirtd hung?)",
			strings.Join(args, " "), ErrUnreachable, timeout, err)
	}
	return out, err
}

// Versions runs `virsh version` and parses it.
func (c Client) Versions(ctx context.Context) (Versions, error) {
	out, err := c.run(ctx, nil, "version")
	if err != nil {
		return Versions{}, explain(err)
	}
	v, err := ParseVersion(out)
	if err != nil {
		return Versions{}, fmt.Errorf("virsh version: %w", err)
	}
	return v, nil
}

// DomCaps runs `virsh domcapabilities [--virttype virtType]` (virtType kvm
// or qemu; "" for libvirt's default) and returns the parsed document and the
// raw XML.
func (c Client) DomCaps(ctx context.Context, virtType string) (*DomCaps, []byte, error) {
	args := []string{"domcapabilities"}
	if virtType != "" {
		args = append(args, "--virttype", virtType)
	}
	out, err := c.run(ctx, nil, args...)
	if err != nil {
		return nil, nil, explain(err)
	}
	dc, err := ParseDomCaps(out)
	if err != nil {
		return nil, out, fmt.Errorf("virsh %s: %w", strings.Join(args, " "), err)
	}
	return dc, out, nil
}

// HostModelFeatures returns every feature the hypervisor can give a guest,
// fully expanded: it feeds the host-model CPU to
// `virsh hypervisor-cpu-baseline --features` (as KubeVirt's node-labeller
// does) and keeps the features whose policy is not disable or forbid,
// sorted. raw is the domcapabilities document dc was parsed from; when it is
// empty the host-model CPU is rendered from dc. dc may be nil when raw is given.
func (c Client) HostModelFeatures(ctx context.Context, dc *DomCaps, raw []byte) ([]string, error) {
	if dc == nil {
		if len(raw) == 0 {
			return nil, errors.New("host-model features: no domain capabilities given; call DomCaps first")
		}
		var err error
		if dc, err = ParseDomCaps(raw); err != nil {
			return nil, fmt.Errorf("host-model features: %w", err)
		}
	}
	if !dc.HostModel.Supported || dc.HostModel.Model == "" {
		return nil, fmt.Errorf("host-model features: domain capabilities (virttype %q) have no supported host-model CPU; nothing to expand (is the virt type right?)", dc.VirtType)
	}
	stdin := raw
	if len(stdin) == 0 {
		stdin = dc.HostModelCPUXML()
	}
	args := []string{"hypervisor-cpu-baseline", "--features"}
	for _, o := range []struct{ flag, val string }{
		{"--virttype", dc.VirtType}, {"--arch", dc.Arch}, {"--machine", dc.Machine}, {"--emulator", dc.Emulator},
	} {
		if o.val != "" {
			args = append(args, o.flag, o.val)
		}
	}
	args = append(args, stdinFile)
	out, err := c.run(ctx, stdin, args...)
	if err != nil {
		return nil, explain(err)
	}
	cpu, err := ParseCPU(out)
	if err != nil {
		return nil, fmt.Errorf("virsh hypervisor-cpu-baseline: %w", err)
	}
	if len(cpu.Features) == 0 {
		return nil, fmt.Errorf("virsh hypervisor-cpu-baseline --features returned no features for host model %s; libvirt too old for --features?", dc.HostModel.Model)
	}
	return cpu.EnabledFeatures(), nil
}

// CompareHypervisorCPU asks `virsh hypervisor-cpu-compare` (libvirt's
// compareHypervisorCPU, what nova-compute 2023.1 and later call at start-up)
// whether the hypervisor can give a guest cpuXML. virtType "" leaves the
// choice to libvirt, as Nova does (it passes no virt type).
func (c Client) CompareHypervisorCPU(ctx context.Context, cpuXML []byte, virtType string) (Verdict, error) {
	args := []string{"hypervisor-cpu-compare", "--error"}
	if virtType != "" {
		args = append(args, "--virttype", virtType)
	}
	return c.compare(ctx, cpuXML, append(args, stdinFile))
}

// CompareCPU asks `virsh cpu-compare` (libvirt's compareCPU against the host
// CPU, what nova-compute Zed and older call at start-up) whether cpuXML fits
// the host.
func (c Client) CompareCPU(ctx context.Context, cpuXML []byte) (Verdict, error) {
	return c.compare(ctx, cpuXML, []string{"cpu-compare", "--error", stdinFile})
}

// compare runs a comparison with --error, which turns "incompatible" into an
// error whose text names the missing features, and classifies the answer.
func (c Client) compare(ctx context.Context, cpuXML []byte, args []string) (Verdict, error) {
	if len(bytes.TrimSpace(cpuXML)) == 0 {
		return Verdict{}, fmt.Errorf("virsh %s: empty CPU XML; build it with CustomCPUXML", args[0])
	}
	out, err := c.run(ctx, cpuXML, args...)
	if err != nil {
		var ee *ExitError
		if !errors.As(err, &ee) {
			return Verdict{}, explain(err)
		}
		if v, ok := classifyCompareError(ee.Stderr); ok {
			return v, nil
		}
		return Verdict{}, explain(err)
	}
	if v, ok := classifyCompareOutput(out); ok {
		return v, nil
	}
	return Verdict{}, fmt.Errorf("virsh %s: unrecognised answer %q; expected identical, superset or incompatible (run virsh with LC_ALL=C)",
		strings.Join(args, " "), strings.TrimSpace(string(out)))
}

// classifyCompareOutput reads the stdout of a successful comparison.
func classifyCompareOutput(out []byte) (Verdict, bool) {
	msg := strings.TrimSpace(string(out))
	switch {
	case strings.Contains(msg, "is incompatible with"):
		return Verdict{Result: ResultIncompatible, Message: msg}, true
	case strings.Contains(msg, "is identical to"):
		return Verdict{Compatible: true, Result: ResultIdentical, Message: msg}, true
	case strings.Contains(msg, "is a superset of"):
		return Verdict{Compatible: true, Result: ResultSuperset, Message: msg}, true
	}
	return Verdict{}, false
}

// classifyCompareError reads virsh's stderr after a failed comparison. It
// returns false when libvirt was not asked at all (connection trouble,
// unknown command or option), which is a Go error, not a verdict.
func classifyCompareError(stderr []byte) (Verdict, bool) {
	lines := errorLines(stderr)
	if len(lines) == 0 || isConnectionProblem(stderr) {
		return Verdict{}, false
	}
	// virsh prints "Failed to compare host CPU with FILE" (or "hypervisor
	// CPU") when the API call itself failed; libvirt's reason follows.
	if !strings.HasPrefix(lines[0], "Failed to compare") {
		return Verdict{}, false
	}
	reason := strings.Join(lines[1:], ": ")
	if reason == "" {
		reason = lines[0]
	}
	switch {
	case strings.Contains(reason, "not supported by the connection driver"):
		return Verdict{Compatible: true, Result: ResultUnsupported, Message: reason}, true
	case strings.Contains(reason, "the CPU is incompatible with host CPU"):
		return Verdict{Result: ResultIncompatible, Message: reason}, true
	}
	return Verdict{Result: ResultError, Message: reason}, true
}

// errorLines returns virsh's "error: " lines without the prefix.
func errorLines(stderr []byte) []string {
	var out []string
	for _, l := range strings.Split(string(stderr), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		out = append(out, strings.TrimSpace(strings.TrimPrefix(l, "error:")))
	}
	return out
}

var connectionProblems = []string{
	"failed to connect",
	"no connection driver available",
	"end of file while reading data",
	"cannot recv data",
	"cannot write data",
	"connection reset",
	"client socket is closed",
	"broken pipe",
	"authentication unavailable",
	"authentication failed",
	"no valid connection",
}

func isConnectionProblem(stderr []byte) bool {
	s := strings.ToLower(string(stderr))
	for _, p := range connectionProblems {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// explain adds what to do to an error from the Runner.
func explain(err error) error {
	var ee *ExitError
	if !errors.As(err, &ee) {
		return err
	}
	if isConnectionProblem(ee.Stderr) {
		return fmt.Errorf("%w: %w (is libvirtd running? start it with `virtlogd -d; libvirtd -d` or `systemctl start libvirtd`; check the connection URI and the permissions on the libvirt socket)", ErrUnreachable, err)
	}
	return err
}
