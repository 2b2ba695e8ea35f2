package probe

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// NovaCheck is the start-up comparison the installed Nova runs, and how we know.
type NovaCheck struct {
	// Check is one of the prober.Check constants (package sdk/prober).
	Check string `json:"check"`
	// NovaVersion is the detected Nova version ("" when not detected).
	NovaVersion string `json:"nova_version,omitempty"`
	// Source says where the answer comes from.
	Source string `json:"source"`
}

// metadataGlobs are where Python package metadata of nova lives on hosts
// (distribution packages, OpenStack-Ansible venvs, kolla venvs when run inside the container).
var metadataGlobs = []string{
	"/usr/lib/python3/dist-packages/nova-*-info",
	"/usr/lib/python3*/site-packages/nova-*-info",
	"/usr/local/lib/python3*/dist-packages/nova-*-info",
	"/usr/local/lib/python3*/site-packages/nova-*-info",
	"/openstack/venvs/nova-*/lib/python3*/site-packages/nova-*-info",
	"/var/lib/kolla/venv/lib/python3*/site-packages/nova-*-info",
}

var metaRE = regexp.MustCompile(`^nova-([0-9][0-9A-Za-z.+]*)\.(?:egg|dist)-info$`)
var versionRE = regexp.MustCompile(`(?m)^\s*([0-9]+\.[0-9]+[0-9A-Za-z.+-]*)\s*$`)

// CheckForVersion maps a Nova version to its start-up comparison: 27
// (2023.1) and later call compareHypervisorCPU, older ones compareCPU.
func CheckForVersion(v string) (string, error) {
	major, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return "", fmt.Errorf("nova version %q: no numeric major version", v)
	}
	if n >= 27 && n < 2000 {
		return prober.CheckCompareHypervisorCPU, nil
	}
	if n >= 2023 { // calendar-style release name given by the operator
		return prober.CheckCompareHypervisorCPU, nil
	}
	return prober.CheckCompareCPU, nil
}

// DetectNovaVersion finds the installed Nova version: Python package
// metadata on the host, then `nova-compute --version` inside the container
// (docker/podman kinds) or on the host.
func DetectNovaVersion(ctx context.Context, svc novaservice.Spec, runner novaservice.Runner) (version, source string, err error) {
	for _, g := range metadataGlobs {
		matches, _ := filepath.Glob(g)
		for _, m := range matches {
			if sm := metaRE.FindStringSubmatch(filepath.Base(m)); sm != nil {
				return sm[1], "python package metadata " + m, nil
			}
		}
	}
	if runner == nil {
		runner = novaservice.ExecRunner{}
	}
	var tries [][]string
	if (svc.Kind == novaservice.KindDocker || svc.Kind == novaservice.KindPodman) && svc.Unit != "" {
		tries = append(tries, []string{string(svc.Kind), "exec", svc.Unit, "nova-compute", "--version"})
	}
	tries = append(tries, []string{"nova-compute", "--version"})
	var errs []string
	for _, argv := range tries {
		cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		out, code, err := runner.Run(cctx, argv)
		cancel()
		if err == nil && code == 0 {
			if m := versionRE.FindSubmatch(out); m != nil {
				return string(m[1]), "`" + strings.Join(argv, " ") + "`", nil
			}
		}
		errs = append(errs, fmt.Sprintf("`%s`: exit %d %v", strings.Join(argv, " "), code, err))
	}
	return "", "", fmt.Errorf("cannot tell which Nova is installed (no nova-*.egg-info/dist-info metadata; %s); set nova_check to compareCPU (Nova Zed 26 and older) or compareHypervisorCPU (2023.1 and later)", strings.Join(errs, "; "))
}

// ConfValues are the nova options the probe reads besides the CPU keys.
type ConfValues struct {
	// ComputeDriver is [DEFAULT] compute_driver ("" when unset).
	ComputeDriver string
	// VirtType is [libvirt] virt_type (Nova's default kvm when unset).
	VirtType string
	// ConnectionURI is [libvirt] connection_uri ("" when unset).
	ConnectionURI string
	// SkipCompareAtStartup is [workarounds] skip_cpu_compare_at_startup.
	SkipCompareAtStartup bool
}

// ReadConfValues reads ConfValues from the files nova-compute reads, in
// order (later files win; a directory is read as --config-dir), with the
// same oslo.config reader that edits nova.conf. Files that are missing or do
// not parse are skipped: nova-compute itself would report those.
func ReadConfValues(files []string) ConfValues {
	v := ConfValues{VirtType: "kvm"}
	ordered, _ := novaconf.ReadOrder(files)
	for _, path := range ordered {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		f, err := novaconf.Parse(data)
		if err != nil {
			continue
		}
		if val, ok := f.Value("DEFAULT", "compute_driver"); ok {
			v.ComputeDriver = val
		}
		if val, ok := f.Value("libvirt", "virt_type"); ok {
			v.VirtType = val
		}
		if val, ok := f.Value("libvirt", "connection_uri"); ok {
			v.ConnectionURI = val
		}
		if val, ok := f.Value("workarounds", "skip_cpu_compare_at_startup"); ok {
			b := strings.ToLower(strings.TrimSpace(val))
			v.SkipCompareAtStartup = b == "true" || b == "1" || b == "yes" || b == "on"
		}
	}
	return v
}

// ResolveNovaCheck decides which comparison to mirror. want is the
// nova_check parameter (auto, compareCPU, compareHypervisorCPU, none).
func ResolveNovaCheck(ctx context.Context, want string, conf ConfValues, svc novaservice.Spec, runner novaservice.Runner) (NovaCheck, error) {
	if want != "auto" && want != "" {
		return NovaCheck{Check: want, Source: "nova_check parameter"}, nil
	}
	if conf.SkipCompareAtStartup {
		return NovaCheck{Check: prober.CheckNone, Source: "[workarounds] skip_cpu_compare_at_startup is true"}, nil
	}
	if conf.VirtType != "kvm" {
		return NovaCheck{Check: prober.CheckNone, Source: fmt.Sprintf("[libvirt] virt_type is %q: Nova checks CPUs only for kvm", conf.VirtType)}, nil
	}
	v, src, err := DetectNovaVersion(ctx, svc, runner)
	if err != nil {
		return NovaCheck{}, err
	}
	c, err := CheckForVersion(v)
	if err != nil {
		return NovaCheck{}, fmt.Errorf("%w (from %s); set nova_check", err, src)
	}
	return NovaCheck{Check: c, NovaVersion: v, Source: src}, nil
}
