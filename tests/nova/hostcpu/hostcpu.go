// Package hostcpu derives the rig suite's expected answers from the host's
// own libvirt at test time, so that the suite holds on any x86 host (with or
// without AVX-512, TSX or nested virtualization) instead of on the CPU it was
// written on.
//
// For every candidate flag it asks libvirt the question the installed Nova
// asks at start-up: `virsh cpu-compare` (compareCPU, Nova 26 "Zed" and older)
// or `virsh hypervisor-cpu-compare` (compareHypervisorCPU, Nova 27 / 2023.1
// and later), on the base model plus that one flag. It does not use the code
// under test (internal/libvirt, internal/probe): it runs virsh itself.
//
// Some candidates must be refused whatever the host: features no CPU of the
// host's vendor has (the other vendor's), a Linux-only /proc/cpuinfo name
// and a name no one defines. Derive fails when the host's libvirt accepts
// one of them, because the test's premise would then be wrong.
package hostcpu

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kinds of candidate.
const (
	// KindHost: the host's libvirt decides (the expected answer is whatever it says).
	KindHost = "host"
	// KindOtherVendor: a feature only the other x86 vendor's CPUs have; refused on this host.
	KindOtherVendor = "other-vendor"
	// KindLinuxOnly: a Linux /proc/cpuinfo flag with no CPUID bit; libvirt does not know it.
	KindLinuxOnly = "linux-only"
	// KindUnknown: a name nobody defines.
	KindUnknown = "unknown"
)

// Candidate is one flag the tests offer the probe.
type Candidate struct {
	// Given is the spelling handed to the module (a Linux or a libvirt name).
	Given string `json:"given"`
	// Libvirt is libvirt's name of the feature ("" when libvirt has none).
	// Reviewed data: see ../shared/ref/name_map.tsv.
	Libvirt string `json:"libvirt,omitempty"`
	// Vendor is "Intel" or "AMD" for a feature only that vendor's CPUs have.
	Vendor string `json:"vendor,omitempty"`
	// Kind is fixed per host by Derive (host, other-vendor, linux-only, unknown).
	Kind string `json:"kind"`
}

// Key is the name the module reports the candidate under: libvirt's name,
// or the given name in lower case when libvirt has none.
func (c Candidate) Key() string {
	if c.Libvirt != "" {
		return c.Libvirt
	}
	return strings.ToLower(c.Given)
}

// Vendor-exclusive features, checked against libvirt's CPU map
// (src/cpu_map/x86_*.xml of libvirt 9.0: only vendor Intel models list
// hle, rtm, mpx and intel-pt; only vendor AMD/Hygon models list fma4, xop,
// tbm and sse4a, apart from QEMU's generic qemu64) and Linux's
// arch/x86/include/asm/cpufeatures.h (fma4, xop, tbm, sse4a are in word 6,
// "More extended AMD flags: CPUID level 0x80000001, ECX"; hle, rtm, mpx are
// Intel's TSX and MPX in leaf 7 EBX, intel_pt "Intel Processor Trace").
var (
	intelOnly = []string{"hle", "rtm", "mpx", "intel-pt"}
	amdOnly   = []string{"fma4", "xop", "sse4a", "tbm"}
)

// Candidates is the suite's candidate list: flags in libvirt names and in
// Linux names (sse4_1, tsc_deadline_timer), one a host may or may not have
// (avx512f), each vendor's exclusive features, a Linux-only synthetic flag
// and an unknown name. Kind is filled in by Derive.
func Candidates() []Candidate {
	c := []Candidate{
		{Given: "pcid", Libvirt: "pcid"},
		{Given: "sse4_1", Libvirt: "sse4.1"},
		{Given: "tsc_deadline_timer", Libvirt: "tsc-deadline"},
		{Given: "constant_tsc", Kind: KindLinuxOnly},
		{Given: "avx512f", Libvirt: "avx512f"},
		{Given: "x2apic", Libvirt: "x2apic"},
	}
	for _, f := range intelOnly {
		c = append(c, Candidate{Given: f, Libvirt: f, Vendor: "Intel"})
	}
	for _, f := range amdOnly {
		c = append(c, Candidate{Given: f, Libvirt: f, Vendor: "AMD"})
	}
	return append(c,
		Candidate{Given: "avx2", Libvirt: "avx2"},
		Candidate{Given: "avx1024", Kind: KindUnknown},
	)
}

// Answer is the host's answer for one candidate.
type Answer struct {
	Candidate
	// Accepted is what Nova concludes from libvirt's answer.
	Accepted bool `json:"accepted"`
	// Said is libvirt's own words (virsh's last line, without "error: ").
	Said string `json:"said"`
}

// Host is everything the tests expect, with where it came from.
type Host struct {
	Vendor      string `json:"vendor"`
	NovaVersion string `json:"nova_version"`
	// NovaSource says how the version was found.
	NovaSource string `json:"nova_source"`
	// Check is compareCPU or compareHypervisorCPU.
	Check string `json:"check"`
	// Command is the virsh command asked for every candidate.
	Command string `json:"command"`
	Model   string `json:"model"`
	// ModelSaid is libvirt's answer for the base model alone.
	ModelSaid string   `json:"model_said"`
	Answers   []Answer `json:"answers"`
}

// Runner runs a command and returns its stdout, stderr and exit code.
type Runner func(ctx context.Context, argv ...string) (stdout, stderr []byte, code int, err error)

// Exec is the Runner that runs real commands.
func Exec(ctx context.Context, argv ...string) ([]byte, []byte, int, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.Bytes(), errb.Bytes(), ee.ExitCode(), nil
	}
	if err != nil {
		return nil, nil, -1, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return out.Bytes(), errb.Bytes(), 0, nil
}

// Options tune Derive.
type Options struct {
	// Model is the base model (Westmere when empty).
	Model string
	// URI is the libvirt connection ("" = virsh's default, qemu:///system as root).
	URI string
	// NovaVersion overrides the detection (e.g. "26.2.2").
	NovaVersion string
	// Run runs commands (Exec when nil).
	Run Runner
	// Dir holds the CPU XML files (a temporary directory when empty).
	Dir string
}

// withDefaults fills o.Run (Exec) and o.Dir (a temporary directory, which
// cleanup removes).
func (o *Options) withDefaults() (cleanup func(), err error) {
	if o.Run == nil {
		o.Run = Exec
	}
	if o.Dir != "" {
		return func() {}, nil
	}
	d, err := os.MkdirTemp("", "cpuflags-hostcpu-")
	if err != nil {
		return nil, fmt.Errorf("hostcpu: %w", err)
	}
	o.Dir = d
	return func() { os.RemoveAll(d) }, nil
}

// verbOf is the virsh command that asks what check asks.
func verbOf(check string) string {
	if check == "compareHypervisorCPU" {
		return "hypervisor-cpu-compare"
	}
	return "cpu-compare"
}

// Derive asks the host's libvirt about every candidate.
func Derive(ctx context.Context, o Options, cands []Candidate) (*Host, error) {
	if o.Model == "" {
		o.Model = "Westmere"
	}
	cleanup, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	h := &Host{Model: o.Model}
	if h.Vendor, err = vendor(ctx, o); err != nil {
		return nil, err
	}
	h.NovaVersion, h.NovaSource = o.NovaVersion, "given"
	if h.NovaVersion == "" {
		if h.NovaVersion, h.NovaSource, err = novaVersion(ctx, o.Run); err != nil {
			return nil, err
		}
	}
	major, err := strconv.Atoi(strings.SplitN(h.NovaVersion, ".", 2)[0])
	if err != nil {
		return nil, fmt.Errorf("hostcpu: Nova version %q has no numeric major version", h.NovaVersion)
	}
	// nova/virt/libvirt/driver.py: Zed (26) calls compareCPU in _compare_cpu;
	// 2023.1 (27) switched to compareHypervisorCPU.
	h.Check = "compareCPU"
	if major >= 27 {
		h.Check = "compareHypervisorCPU"
	}
	verb := verbOf(h.Check)
	h.Command = strings.Join(virsh(o.URI, verb, "--error"), " ")
	ok, said, err := compare(ctx, o, verb, o.Model, "")
	if err != nil {
		return nil, err
	}
	h.ModelSaid = said
	if !ok {
		return nil, fmt.Errorf("hostcpu: the host's libvirt refuses the base model %s itself (%s: %s): nova-compute cannot run this rig's configuration here", o.Model, h.Command, said)
	}
	var wrong []string
	for _, c := range cands {
		c.Kind = kindOn(c, h.Vendor)
		name := c.Key()
		acc, said, err := compare(ctx, o, verb, o.Model, name)
		if err != nil {
			return nil, err
		}
		if acc && c.Kind != KindHost {
			wrong = append(wrong, fmt.Sprintf("%s (%s): %s", c.Given, c.Kind, said))
		}
		h.Answers = append(h.Answers, Answer{Candidate: c, Accepted: acc, Said: said})
	}
	if len(wrong) > 0 {
		return h, fmt.Errorf("hostcpu: this %s host's libvirt accepts candidates no such host can have, so the suite's premise is wrong here: %s", h.Vendor, strings.Join(wrong, "; "))
	}
	return h, nil
}

// kindOn classifies c on a host of vendor v.
func kindOn(c Candidate, v string) string {
	switch {
	case c.Kind == KindLinuxOnly || c.Kind == KindUnknown:
		return c.Kind
	case c.Vendor != "" && c.Vendor != v:
		return KindOtherVendor
	}
	return KindHost
}

func virsh(uri string, args ...string) []string {
	argv := []string{"virsh"}
	if uri != "" {
		argv = append(argv, "-c", uri)
	}
	return append(argv, args...)
}

// vendor reads the host CPU's vendor from `virsh capabilities`; Hygon is
// AMD's design and counts as AMD.
func vendor(ctx context.Context, o Options) (string, error) {
	out, errb, code, err := o.Run(ctx, virsh(o.URI, "capabilities")...)
	if err != nil || code != 0 {
		return "", fmt.Errorf("hostcpu: virsh capabilities: exit %d %v: %s", code, err, bytes.TrimSpace(errb))
	}
	var caps struct {
		Vendor string `xml:"host>cpu>vendor"`
	}
	if err := xml.Unmarshal(out, &caps); err != nil {
		return "", fmt.Errorf("hostcpu: virsh capabilities: %w", err)
	}
	switch caps.Vendor {
	case "Intel":
		return "Intel", nil
	case "AMD", "Hygon":
		return "AMD", nil
	}
	return "", fmt.Errorf("hostcpu: host CPU vendor %q: the suite knows which features only Intel or only AMD CPUs have, not %q's", caps.Vendor, caps.Vendor)
}

var novaVersionRE = regexp.MustCompile(`(?m)^\s*([0-9]+\.[0-9]+[0-9A-Za-z.+-]*)\s*$`)

// novaVersion asks the installed nova-compute.
func novaVersion(ctx context.Context, run Runner) (string, string, error) {
	out, errb, code, err := run(ctx, "nova-compute", "--version")
	if err == nil && code == 0 {
		if m := novaVersionRE.FindSubmatch(append(out, errb...)); m != nil {
			return string(m[1]), "nova-compute --version", nil
		}
	}
	return "", "", fmt.Errorf("hostcpu: cannot tell the installed Nova's version (nova-compute --version: exit %d %v %s); set CPUFLAGS_NOVA_VERSION", code, err, bytes.TrimSpace(errb))
}

// compare asks libvirt about model plus one required feature ("" = none).
func compare(ctx context.Context, o Options, verb, model, feature string) (bool, string, error) {
	var require []string
	name := "model.xml"
	if feature != "" {
		require = []string{feature}
		name = "feature-" + strings.NewReplacer("/", "_", ".", "_").Replace(feature) + ".xml"
	}
	return compareCPU(ctx, o, verb, name, model, require, nil)
}

// compareCPU asks libvirt about model with features required and disabled
// (policy='disable'), the CPU XML written to name in o.Dir.
func compareCPU(ctx context.Context, o Options, verb, name, model string, require, disable []string) (bool, string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>%s</model>\n", model)
	for _, f := range require {
		fmt.Fprintf(&b, "  <feature policy='require' name='%s'/>\n", f)
	}
	for _, f := range disable {
		fmt.Fprintf(&b, "  <feature policy='disable' name='%s'/>\n", f)
	}
	b.WriteString("</cpu>\n")
	path := filepath.Join(o.Dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return false, "", fmt.Errorf("hostcpu: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, errb, code, err := o.Run(cctx, virsh(o.URI, verb, "--error", path)...)
	if err != nil {
		return false, "", err
	}
	text := strings.TrimSpace(string(out))
	if code == 0 && (strings.Contains(text, "superset") || strings.Contains(text, "identical")) {
		return true, lastLine(text), nil
	}
	said := lastLine(strings.TrimSpace(string(errb)))
	if said == "" {
		said = lastLine(text)
	}
	if said == "" {
		return false, "", fmt.Errorf("hostcpu: virsh %s on %s+%v-%v: exit %d and no answer", verb, model, require, disable, code)
	}
	return false, said, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimPrefix(strings.TrimSpace(lines[len(lines)-1]), "error: ")
}
