// Package cpuinfo parses captured or live CPU descriptions of x86-64 hosts
// (/proc/cpuinfo, lscpu, lscpu -J, or a plain flag list) into one CPU struct
// whose Flags are the intersection over all logical CPUs.
package cpuinfo

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/hostpath"
)

// Format names an input format.
type Format string

// Input formats understood by Parse. The empty Format means "detect".
const (
	// FormatCPUInfo is the text of /proc/cpuinfo (one block per logical CPU).
	FormatCPUInfo Format = "cpuinfo"
	// FormatLscpu is the text output of lscpu (Flags may be hard-wrapped).
	FormatLscpu Format = "lscpu"
	// FormatLscpuJSON is the output of lscpu -J (flat or nested "children").
	FormatLscpuJSON Format = "lscpu-json"
	// FormatFlagList is a plain list of Linux flag names, one per line.
	FormatFlagList Format = "flags"

	// The libvirt XML documents. This package only names them (Detect
	// recognises XML and Parse refuses it); hostfacts reads them.

	// FormatDomCaps is `virsh domcapabilities`.
	FormatDomCaps Format = "domcapabilities"
	// FormatCapabilities is `virsh capabilities`.
	FormatCapabilities Format = "capabilities"
	// FormatLibvirtCPU is a lone libvirt <cpu> element: a host CPU
	// (cputestdata -host.xml) or a guest CPU with feature policies
	// (virsh hypervisor-cpu-baseline --features).
	FormatLibvirtCPU Format = "libvirt-cpu"
)

// formats lists the valid explicit formats in documentation order.
var formats = []Format{FormatCPUInfo, FormatLscpu, FormatLscpuJSON, FormatFlagList, FormatDomCaps, FormatCapabilities, FormatLibvirtCPU}

// IsLibvirtXML reports whether f names one of the libvirt XML documents.
func (f Format) IsLibvirtXML() bool {
	return f == FormatDomCaps || f == FormatCapabilities || f == FormatLibvirtCPU
}

// ErrLibvirtXML means the input is a libvirt XML document, which this
// package does not parse (hostfacts does).
var ErrLibvirtXML = errors.New("libvirt XML document")

// Sentinel errors, usable with errors.Is on anything this package returns.
var (
	// ErrEmpty means the input holds nothing but whitespace.
	ErrEmpty = errors.New("input is empty")
	// ErrNotX86 means the input describes a non-x86 host (aarch64, ppc64le, s390x, ...).
	ErrNotX86 = errors.New("not an x86-64 host")
	// ErrNoFlags means the input has no CPU flags at all.
	ErrNoFlags = errors.New("no CPU flags found")
	// ErrUnknownFormat means the format name or the input's format is not recognised.
	ErrUnknownFormat = errors.New("unknown input format")
	// ErrTruncated means the input stops early (a cpuinfo block without flags, invalid JSON).
	ErrTruncated = errors.New("input is truncated or malformed")
	// ErrInvalidFlag means a flag token contains characters no Linux flag name has.
	ErrInvalidFlag = errors.New("invalid flag name")
)

// MaxInputSize bounds what ReadFile and ReadLive read; real inputs are far smaller.
const MaxInputSize = 64 << 20

// CPU is the parsed description of one host's CPUs.
type CPU struct {
	// Format is the format the input was parsed as.
	Format Format `json:"format"`
	// Architecture comes from lscpu, or is "x86_64" when inferred from /proc/cpuinfo.
	Architecture string `json:"architecture,omitempty"`
	// VendorID is the raw CPUID vendor string (GenuineIntel, AuthenticAMD, HygonGenuine,
	// CentaurHauls, "  Shanghai  ").
	VendorID string `json:"vendor_id,omitempty"`
	// Vendor is libvirt's vendor name (Intel, AMD, Hygon, Zhaoxin), "" if unknown.
	Vendor string `json:"vendor,omitempty"`
	// Family is the CPU family, nil when the input does not say.
	Family *int `json:"family,omitempty"`
	// Model is the CPU model number, nil when the input does not say.
	Model *int `json:"model,omitempty"`
	// Stepping is the CPU stepping, nil when the input does not say.
	Stepping *int `json:"stepping,omitempty"`
	// ModelName is the brand string, trimmed, with runs of spaces collapsed.
	ModelName string `json:"model_name,omitempty"`
	// Microcode is the microcode revision (cpuinfo only).
	Microcode string `json:"microcode,omitempty"`
	// LogicalCPUs is the number of cpuinfo blocks, or lscpu's "CPU(s)".
	LogicalCPUs int `json:"logical_cpus,omitempty"`
	// Flags is sorted, unique, and the intersection over all logical CPUs.
	Flags []string `json:"flags"`
	// FlagsDiffer is true when some flag is present on some CPUs only.
	FlagsDiffer bool `json:"flags_differ"`
	// FlagDifferences lists the flags present on some CPUs only.
	FlagDifferences []FlagDifference `json:"flag_differences,omitempty"`
	// Bugs is the cpuinfo "bugs" line (union over CPUs), sorted.
	Bugs []string `json:"bugs,omitempty"`
	// VMXFlags is the cpuinfo "vmx flags" line (intersection over CPUs), sorted.
	VMXFlags []string `json:"vmx_flags,omitempty"`
	// Hypervisor is true when the host is a VM: "hypervisor" flag (on any CPU) or lscpu "Hypervisor vendor".
	Hypervisor bool `json:"hypervisor"`
	// HypervisorVendor is lscpu's "Hypervisor vendor" (KVM, Xen, Microsoft, ...).
	HypervisorVendor string `json:"hypervisor_vendor,omitempty"`
}

// FlagDifference records a flag present on some CPUs only. For /proc/cpuinfo
// the numbers are "processor" numbers; for lscpu inputs with several Flags
// entries (hybrid CPU types) they are the 0-based index of the Flags entry.
type FlagDifference struct {
	// Flag is the flag name.
	Flag string `json:"flag"`
	// PresentOn lists the CPUs that have the flag.
	PresentOn []int `json:"present_on"`
	// MissingOn lists the CPUs that lack the flag.
	MissingOn []int `json:"missing_on"`
}

// ParseFormat turns a user-supplied format name into a Format. "" and "auto"
// give "" (detect).
func ParseFormat(s string) (Format, error) {
	switch t := strings.ToLower(strings.TrimSpace(s)); t {
	case "", "auto":
		return "", nil
	default:
		for _, f := range formats {
			if t == string(f) {
				return f, nil
			}
		}
	}
	return "", fmt.Errorf("%w %q: valid formats are %s", ErrUnknownFormat, s, validFormats())
}

func validFormats() string {
	names := []string{"auto"}
	for _, f := range formats {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// Parse parses data in format f; f == "" detects the format first.
func Parse(data []byte, f Format) (*CPU, error) {
	explicit := f != ""
	if !explicit {
		var err error
		if f, err = Detect(data); err != nil {
			return nil, err
		}
	}
	var (
		cpu *CPU
		err error
	)
	switch f {
	case FormatCPUInfo:
		cpu, err = parseCPUInfo(data)
	case FormatLscpu:
		cpu, err = parseLscpu(data)
	case FormatLscpuJSON:
		cpu, err = parseLscpuJSON(data)
	case FormatFlagList:
		cpu, err = parseFlagList(data)
	case FormatDomCaps, FormatCapabilities, FormatLibvirtCPU:
		return nil, fmt.Errorf("%w (%s): read it with cpu_flags_facts or cpuflags facts, which expand libvirt's CPU models", ErrLibvirtXML, f)
	default:
		return nil, fmt.Errorf("%w %q: valid formats are %s", ErrUnknownFormat, string(f), validFormats())
	}
	if err != nil {
		if explicit && !errors.Is(err, ErrEmpty) {
			if d, derr := Detect(data); derr == nil && d != f {
				return nil, fmt.Errorf("parse as %s: %w (the input looks like %s; pass format %q or auto)", f, err, d, string(d))
			}
		}
		return nil, fmt.Errorf("parse as %s: %w", f, err)
	}
	return cpu, nil
}

// ReadFile reads and parses the file at path; f == "" detects the format.
func ReadFile(path string, f Format) (*CPU, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	cpu, err := Parse(data, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cpu, nil
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read CPU description: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxInputSize {
		return nil, fmt.Errorf("%s: larger than %d bytes; give a /proc/cpuinfo, lscpu or flag list file", path, MaxInputSize)
	}
	return data, nil
}

// HostDir re-roots host paths (hostpath.HostDir): HostDir("/") for the live
// host, a test directory in tests.
type HostDir = hostpath.HostDir

// ReadLive reads and parses <root>/proc/cpuinfo.
func ReadLive(root HostDir) (*CPU, error) {
	return ReadFile(root.Path("proc", "cpuinfo"), FormatCPUInfo)
}

// vendorNames maps CPUID vendor strings to libvirt vendor names.
var vendorNames = map[string]string{
	"GenuineIntel": "Intel",
	"AuthenticAMD": "AMD",
	"HygonGenuine": "Hygon",
	"CentaurHauls": "Zhaoxin",
	"Shanghai":     "Zhaoxin",
}

// setVendor stores the raw vendor string and its libvirt name. Zhaoxin's
// "  Shanghai  " is restored to its 12-byte CPUID form when spaces were lost.
func (c *CPU) setVendor(raw string) {
	raw = strings.TrimRight(raw, "\r\n")
	t := strings.TrimSpace(raw)
	if t == "" {
		return
	}
	if t == "Shanghai" {
		raw = "  Shanghai  "
	} else {
		raw = t
	}
	c.VendorID = raw
	c.Vendor = vendorNames[t]
}

// collapseSpace trims s and collapses runs of white space into one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// validFlag reports whether s looks like a Linux /proc/cpuinfo flag name.
func validFlag(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// checkFlags returns an error naming the first invalid token in flags.
func checkFlags(flags []string, where string) error {
	for _, fl := range flags {
		if !validFlag(fl) {
			return fmt.Errorf("%s: %w %q: Linux flag names are lower-case letters, digits and '_'", where, ErrInvalidFlag, truncate(fl))
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// sortUnique sorts s in place and removes duplicates.
func sortUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// finish validates and normalises a parsed CPU.
func (c *CPU) finish() (*CPU, error) {
	c.Flags = sortUnique(c.Flags)
	if len(c.Flags) == 0 {
		return nil, fmt.Errorf("%w: the %s input has no flags; give a /proc/cpuinfo, lscpu or lscpu -J capture of an x86-64 host, or a flag list", ErrNoFlags, c.Format)
	}
	c.Bugs = sortUnique(c.Bugs)
	c.VMXFlags = sortUnique(c.VMXFlags)
	if len(c.Bugs) == 0 {
		c.Bugs = nil
	}
	if len(c.VMXFlags) == 0 {
		c.VMXFlags = nil
	}
	c.ModelName = collapseSpace(c.ModelName)
	if _, ok := slices.BinarySearch(c.Flags, "hypervisor"); ok || c.HypervisorVendor != "" {
		c.Hypervisor = true
	}
	for _, d := range c.FlagDifferences {
		if d.Flag == "hypervisor" { // on some CPUs only: still a guest
			c.Hypervisor = true
		}
	}
	c.FlagsDiffer = len(c.FlagDifferences) > 0
	return c, nil
}

// intersect computes the intersection of per-CPU flag sets and the
// differences; ids are the CPU numbers reported in FlagDifferences.
func intersect(sets [][]string, ids []int) ([]string, []FlagDifference) {
	if len(sets) == 0 {
		return nil, nil
	}
	count := make(map[string]int, len(sets[0]))
	for _, s := range sets {
		for _, fl := range s { // each s is unique
			count[fl]++
		}
	}
	var common, partial []string
	for fl, n := range count {
		if n == len(sets) {
			common = append(common, fl)
		} else {
			partial = append(partial, fl)
		}
	}
	slices.Sort(common)
	if len(partial) == 0 {
		return common, nil
	}
	slices.Sort(partial)
	diffs := make([]FlagDifference, 0, len(partial))
	for _, fl := range partial {
		d := FlagDifference{Flag: fl, PresentOn: []int{}, MissingOn: []int{}}
		for i, s := range sets {
			if _, ok := slices.BinarySearch(s, fl); ok {
				d.PresentOn = append(d.PresentOn, ids[i])
			} else {
				d.MissingOn = append(d.MissingOn, ids[i])
			}
		}
		diffs = append(diffs, d)
	}
	return common, diffs
}
