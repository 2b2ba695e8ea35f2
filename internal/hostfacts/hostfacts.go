// Package hostfacts composes the facts cpu_flags_facts returns for one host:
// the CPU as Linux describes it, the same features in libvirt's names with
// every exclusion explained, the x86-64 level, and, where libvirt runs, what
// libvirt says the hypervisor can really give guests. It also decides which of
// the two views the later steps trust.
package hostfacts

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/guestview"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/x86level"
)

// Libvirt query policies.
const (
	LibvirtAuto   = "auto"
	LibvirtAlways = "always"
	LibvirtNever  = "never"
)

// Trusted views.
const (
	// ViewLibvirt: libvirt's domcapabilities host-model on the host itself
	// (or a captured domcapabilities document): the exact guest view.
	ViewLibvirt = "libvirt"
	// ViewPredicted: the host's /proc/cpuinfo or lscpu flags with the
	// guestview rules applied (what QEMU/KVM can give a guest there).
	ViewPredicted = "predicted"
	// ViewCPUInfo: the translated flags as they are (only on request:
	// Prediction.Raw, or facts written before the predicted view existed).
	ViewCPUInfo = "cpuinfo"
)

// Prediction says how a host known only from its CPU flags is turned into
// a guest view.
type Prediction struct {
	// Raw trusts the translated flags as they are (view cpuinfo) instead of
	// predicting the guest view.
	Raw bool
	// Guest are the operator's statements about the hypervisors (nested,
	// pmu, pt, stack versions) the rules may use.
	Guest guestview.Options
}

// Options says where to read the CPU from and whether to ask libvirt.
type Options struct {
	Src        string          // captured file; "" reads the live host
	Format     cpuinfo.Format  // "" detects
	Root       cpuinfo.HostDir // re-roots /proc for the live host
	Libvirt    string          // auto, always, never
	LibvirtURI string
	VirtType   string // kvm or qemu
	CPUMapDir  string // the host's libvirt cpu_map; its feature names win
	Runner     libvirt.Runner
	Prediction Prediction
	// QEMUVersion reports the hypervisor's QEMU when libvirt does not
	// (nil: run the QEMU binary with --version; see measureStack).
	QEMUVersion func(ctx context.Context) (version, source string, err error)
}

// Excluded explains one Linux flag that has no libvirt feature. Facts carry
// the reason code only: the sentence for (flag, reason) is the same on every
// host and comes from the shared name table (featnames.Table.Explain;
// ExplainExclusions fills Detail, `cpuflags facts --explain` prints it).
type Excluded struct {
	Reason featnames.Reason `json:"reason"`
	Detail string           `json:"detail,omitempty"`
}

// LibvirtView is what the host's libvirt said, or why it was not asked.
type LibvirtView struct {
	Asked            bool                     `json:"asked"`
	Available        bool                     `json:"available"`
	Reason           string                   `json:"reason,omitempty"`
	Versions         *libvirt.Versions        `json:"versions,omitempty"`
	VirtType         string                   `json:"virt_type,omitempty"`
	HostModel        string                   `json:"host_model,omitempty"`
	HostModelVendor  string                   `json:"host_model_vendor,omitempty"`
	HostModelFeature []string                 `json:"host_model_features,omitempty"`
	Models           []libvirt.ModelUsability `json:"models,omitempty"`
	UsableModels     []string                 `json:"usable_models,omitempty"`
}

// Facts is the result for one host.
type Facts struct {
	Source           string                   `json:"source"`
	Format           cpuinfo.Format           `json:"format"`
	Architecture     string                   `json:"architecture,omitempty"`
	Vendor           string                   `json:"vendor"`
	VendorID         string                   `json:"vendor_id,omitempty"`
	ModelName        string                   `json:"model_name"`
	Family           *int                     `json:"family,omitempty"`
	Model            *int                     `json:"model,omitempty"`
	Stepping         *int                     `json:"stepping,omitempty"`
	Microcode        string                   `json:"microcode,omitempty"`
	LogicalCPUs      int                      `json:"logical_cpus,omitempty"`
	Hypervisor       bool                     `json:"hypervisor"`
	HypervisorVendor string                   `json:"hypervisor_vendor,omitempty"`
	LinuxFlags       []string                 `json:"linux_flags"`
	FlagsDiffer      bool                     `json:"flags_differ"`
	FlagDifferences  []cpuinfo.FlagDifference `json:"flag_differences,omitempty"`
	VMXFlags         []string                 `json:"vmx_flags,omitempty"`
	Features         []string                 `json:"features"`
	Excluded         map[string]Excluded      `json:"excluded"`
	Derived          []featnames.Derivation   `json:"derived,omitempty"`
	X86Level         string                   `json:"x86_64_level"`
	X86LevelMissing  []string                 `json:"x86_64_level_missing_for_next,omitempty"`
	TrustedX86Level  string                   `json:"trusted_x86_64_level"`
	NameTable        string                   `json:"name_table"`
	Libvirt          LibvirtView              `json:"libvirt"`
	TrustedView      string                   `json:"trusted_view"`
	TrustedFeatures  []string                 `json:"trusted_features"`
	NestedOnly       []string                 `json:"nested_only,omitempty"`
	GuestView        *guestview.View          `json:"guest_view,omitempty"`
	Stack            *MeasuredStack           `json:"stack,omitempty"`
	Overpromised     []string                 `json:"overpromised,omitempty"`
	Warnings         []string                 `json:"warnings,omitempty"`
}

// Gather reads the CPU and builds the facts.
func Gather(ctx context.Context, opts Options) (*Facts, error) {
	var (
		cpu *cpuinfo.CPU
		err error
	)
	source := "live"
	if opts.Src != "" {
		source = opts.Src
		data, rerr := readCapture(opts.Src)
		if rerr != nil {
			return nil, rerr
		}
		isXML := libvirt.LooksLikeXML(data)
		if opts.Format.IsLibvirtXML() || (opts.Format == "" && isXML) {
			return FromDocument(opts.Src, data, opts.Format, featnames.Builtin(), cpumodels.Builtin(), opts.Prediction)
		}
		if isXML {
			return nil, fmt.Errorf("%s: format %s was asked for, but the file is an XML document (%w); pass format auto, %s, %s or %s",
				opts.Src, opts.Format, cpuinfo.ErrLibvirtXML, cpuinfo.FormatDomCaps, cpuinfo.FormatCapabilities, cpuinfo.FormatLibvirtCPU)
		}
		cpu, err = cpuinfo.Parse(data, opts.Format)
		if err != nil {
			err = fmt.Errorf("%s: %w", opts.Src, err)
		}
	} else {
		root := opts.Root
		if root == "" {
			root = "/"
		}
		cpu, err = cpuinfo.ReadLive(root)
	}
	if err != nil {
		return nil, err
	}

	table := featnames.Builtin()
	var hostCatalog *cpumodels.Catalog
	if opts.CPUMapDir != "" {
		if _, statErr := os.Stat(opts.CPUMapDir); statErr == nil && opts.Src == "" {
			hostCatalog, err = cpumodels.LoadFeatures(opts.CPUMapDir) // the names only: the models are not needed here
			if err != nil {
				return nil, fmt.Errorf("read the host's libvirt CPU map: %w", err)
			}
			table = table.WithLibvirtFeatures(hostCatalog.FeatureNames(), hostCatalog.Source)
		}
	}

	f := FromCPUWith(source, cpu, table, opts.Prediction)
	f.Libvirt = askLibvirt(ctx, opts, f)
	if opts.Libvirt == LibvirtAlways && !f.Libvirt.Available {
		return nil, fmt.Errorf("libvirt=always but libvirt could not be asked: %s", f.Libvirt.Reason)
	}
	pred := opts.Prediction
	if opts.Src == "" {
		f.Stack = measureStack(ctx, opts, f.Libvirt)
		pred.Guest.Measured = guestview.Stack{Linux: f.Stack.KernelRelease, QEMU: f.Stack.QEMU}
	}
	decideTrust(f, pred)
	return f, nil
}

// FromCPU builds the facts that come from the CPU description alone (no
// libvirt) with the default prediction: names, exclusions, level and the
// predicted guest view, which is the trusted one.
func FromCPU(source string, cpu *cpuinfo.CPU, table *featnames.Table) *Facts {
	return FromCPUWith(source, cpu, table, Prediction{})
}

// FromCPUWith is FromCPU with the operator's prediction options.
func FromCPUWith(source string, cpu *cpuinfo.CPU, table *featnames.Table, pred Prediction) *Facts {
	tr := table.Translate(cpu.Flags, cpu.Vendor)
	f := &Facts{
		Source:           source,
		Format:           cpu.Format,
		Architecture:     cpu.Architecture,
		Vendor:           cpu.Vendor,
		VendorID:         cpu.VendorID,
		ModelName:        cpu.ModelName,
		Family:           cpu.Family,
		Model:            cpu.Model,
		Stepping:         cpu.Stepping,
		Microcode:        cpu.Microcode,
		LogicalCPUs:      cpu.LogicalCPUs,
		Hypervisor:       cpu.Hypervisor,
		HypervisorVendor: cpu.HypervisorVendor,
		LinuxFlags:       cpu.Flags,
		FlagsDiffer:      cpu.FlagsDiffer,
		FlagDifferences:  cpu.FlagDifferences,
		VMXFlags:         cpu.VMXFlags,
		Features:         nonNil(tr.Features),
		Excluded:         make(map[string]Excluded, len(tr.Excluded)),
		Derived:          tr.Derived,
		NameTable:        table.Source(),
	}
	for _, e := range tr.Excluded {
		f.Excluded[e.Flag] = Excluded{Reason: e.Reason}
	}
	lvl := x86level.FromFeatures(f.Features)
	f.X86Level = lvl.Name
	f.X86LevelMissing = lvl.MissingForNext
	if cpu.FlagsDiffer {
		f.Warnings = append(f.Warnings, fmt.Sprintf(
			"logical CPUs report different flags (%d flags are not on every CPU); only the flags common to all CPUs are used",
			len(cpu.FlagDifferences)))
	}
	if cpu.Vendor == "" {
		f.Warnings = append(f.Warnings, "the input does not name the CPU vendor (a plain flag list); vendor-specific checks are skipped for this host")
	}
	if cpu.Hypervisor {
		f.Warnings = append(f.Warnings, "this CPU description comes from a virtual machine (hypervisor flag); its flags are what its hypervisor chose to expose, and a guest nested in it may get less than the predicted view")
	}
	decideTrust(f, pred)
	return f
}

// predict computes the guest view of f's CPU.
func predict(f *Facts, pred Prediction) *guestview.View {
	v := guestview.Predict(guestview.Host{
		Vendor: f.Vendor, Family: f.Family, Model: f.Model, Stepping: f.Stepping,
		Features: f.Features, LinuxFlags: f.LinuxFlags, VMXFlags: f.VMXFlags,
	}, pred.Guest)
	return &v
}

// ExplainExclusions fills every exclusion's Detail from the name table
// (featnames.Builtin() when t is nil), for people reading the facts.
func (f *Facts) ExplainExclusions(t *featnames.Table) {
	if t == nil {
		t = featnames.Builtin()
	}
	for flag, e := range f.Excluded {
		if e.Detail == "" {
			e.Detail = t.Explain(flag, e.Reason)
			f.Excluded[flag] = e
		}
	}
}

// decideTrust picks the view later steps use. libvirt's domcapabilities is
// what Nova (2023.1 and later) checks against; /proc/cpuinfo lists features
// KVM cannot give and lacks some it emulates, so libvirt wins where it
// answered, and otherwise the predicted guest view (guestview) is trusted.
func decideTrust(f *Facts, pred Prediction) {
	defer func() {
		f.TrustedX86Level = x86level.FromFeatures(f.TrustedFeatures).Name
		f.NestedOnly = nestedOnly(f.TrustedFeatures)
	}()
	f.GuestView = nil
	if !pred.Raw {
		f.GuestView = predict(f, pred)
	}
	if f.Libvirt.Available {
		f.TrustedView = ViewLibvirt
		f.TrustedFeatures = f.Libvirt.HostModelFeature
		f.Overpromised = difference(f.Features, f.TrustedFeatures)
		if len(f.Overpromised) > 0 {
			f.Warnings = append(f.Warnings, fmt.Sprintf(
				"/proc/cpuinfo lists %d features that libvirt says this hypervisor cannot give guests (see overpromised); libvirt's view is trusted",
				len(f.Overpromised)))
		}
		return
	}
	f.Overpromised = nil
	if f.GuestView != nil {
		f.TrustedView = ViewPredicted
		f.TrustedFeatures = f.GuestView.Features
		return
	}
	f.TrustedView = ViewCPUInfo
	f.TrustedFeatures = f.Features
}

// nestedOnly lists the features that a guest gets only where every host
// runs KVM with nested=1 (vmx, svm, vmx-* controls...).
func nestedOnly(features []string) []string {
	var out []string
	for _, x := range features {
		if guestview.IsNestedOnly(x) {
			out = append(out, x)
		}
	}
	return out
}

func difference(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
