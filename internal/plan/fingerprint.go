package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/hostfacts"
)

// fingerprintVersion names the canonical form hashed by Fingerprint; a new
// form gets a new name, so fingerprints of different forms never compare
// equal by accident.
const fingerprintVersion = "cpu_flags/fingerprint/v1"

// CPU is a host's CPU identity and microcode, as its facts report them.
type CPU struct {
	Vendor    string `json:"vendor"`
	VendorID  string `json:"vendor_id,omitempty"`
	Family    *int   `json:"family,omitempty"`
	Model     *int   `json:"model,omitempty"`
	Stepping  *int   `json:"stepping,omitempty"`
	ModelName string `json:"model_name,omitempty"`
	// Microcode is the revision, normalized to lower-case hex without
	// leading zeros ("0x5000021"); "" when the capture does not show it
	// (lscpu, flag lists).
	Microcode string `json:"microcode,omitempty"`
}

// Host is one host as the plan covers it.
type Host struct {
	Group string `json:"group,omitempty"`
	// Fingerprint is "sha256:" + the hex sha256 of CPU, View and Features
	// in canonical form.
	Fingerprint string `json:"fingerprint"`
	CPU         CPU    `json:"cpu"`
	// View is the guest view the features come from (libvirt, cpuinfo, or
	// any view hostfacts adds).
	View string `json:"view"`
	// Features is the host's guest view: trusted libvirt feature names, sorted.
	Features []string `json:"features"`

	// Recorded for drift reports; not part of the fingerprint.
	Source      string `json:"source,omitempty"`
	LogicalCPUs int    `json:"logical_cpus,omitempty"`
	Libvirt     string `json:"libvirt,omitempty"`
	Hypervisor  string `json:"hypervisor,omitempty"`
	// Prediction is how the predicted guest view was made (view
	// predicted only): the options and the stack it assumed.
	Prediction *Prediction `json:"prediction,omitempty"`
}

// Prediction is how a host's predicted guest view was made.
type Prediction struct {
	Nested bool   `json:"nested"`
	PMU    bool   `json:"pmu"`
	PT     bool   `json:"pt"`
	Linux  string `json:"linux"`
	QEMU   string `json:"qemu"`
	Rules  string `json:"rules"`
}

func (p *Prediction) String() string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("linux %s, qemu %s, nested %v, pmu %v, pt %v, rules %s", p.Linux, p.QEMU, p.Nested, p.PMU, p.PT, p.Rules)
}

// HostOf describes one host as a plan records it, fingerprint included:
// the CPU identity and microcode from its facts, and the guest view the
// baseline judges it by (Source.Guest), so the fingerprint covers exactly
// what the baseline judged.
func HostOf(s Source) Host {
	f, bh := s.Facts, s.Guest
	if f == nil {
		f = &hostfacts.Facts{}
	}
	feats := slices.Clone(bh.Features)
	slices.Sort(feats)
	feats = slices.Compact(feats)
	if feats == nil {
		feats = []string{}
	}
	h := Host{
		Group: s.Group,
		CPU: CPU{
			Vendor: f.Vendor, VendorID: f.VendorID,
			Family: cloneInt(f.Family), Model: cloneInt(f.Model), Stepping: cloneInt(f.Stepping),
			ModelName: strings.Join(strings.Fields(f.ModelName), " "),
			Microcode: normalizeMicrocode(f.Microcode),
		},
		View:        bh.View,
		Features:    feats,
		Source:      f.Source,
		LogicalCPUs: f.LogicalCPUs,
	}
	if v := f.Libvirt.Versions; v != nil {
		h.Libvirt = v.Libvirt
		h.Hypervisor = v.Hypervisor
	}
	if g := f.GuestView; g != nil && bh.View == hostfacts.ViewPredicted {
		h.Prediction = &Prediction{Nested: g.Options.Nested, PMU: g.Options.PMU, PT: g.Options.PT,
			Linux: g.StackBasis.Linux, QEMU: g.StackBasis.QEMU, Rules: g.Rules}
	}
	h.Fingerprint = h.fingerprint()
	return h
}

// Fingerprint is the fingerprint of one host (see HostOf).
func Fingerprint(s Source) string { return HostOf(s).Fingerprint }

// fingerprint hashes the canonical form of the fingerprinted fields.
func (h Host) fingerprint() string {
	var b strings.Builder
	line := func(k, v string) { b.WriteString(k + "=" + v + "\n") }
	b.WriteString(fingerprintVersion + "\n")
	line("vendor", h.CPU.Vendor)
	line("vendor_id", h.CPU.VendorID)
	line("family", intString(h.CPU.Family))
	line("model", intString(h.CPU.Model))
	line("stepping", intString(h.CPU.Stepping))
	line("model_name", h.CPU.ModelName)
	line("microcode", h.CPU.Microcode)
	line("view", h.View)
	line("features", strings.Join(h.Features, " "))
	sum := sha256.Sum256([]byte(b.String()))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// normalizeMicrocode writes a revision as lower-case hex without leading
// zeros, so "0x05000021" (some kernels) and "0x5000021" compare equal.
func normalizeMicrocode(s string) string {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return ""
	}
	digits := strings.TrimPrefix(t, "0x")
	if v, err := strconv.ParseUint(digits, 16, 64); err == nil {
		return fmt.Sprintf("0x%x", v)
	}
	return t
}

func intString(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func cloneInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
