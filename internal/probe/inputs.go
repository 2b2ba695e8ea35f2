package probe

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/editdist"
	"github.com/kvm-migration/cpuflags/internal/novaconf"
)

// Nova releases whose nova.conf options the probe writes, from Nova's own
// history (openstack/nova, git tag --contains):
const (
	// novaCPUModels is Train: [libvirt] cpu_models (commit f80e5f989d,
	// "vCPU model selection"); before it the option is cpu_model.
	novaCPUModels = 20
	// novaFlagPrefixes is Wallaby: +flag / -flag in cpu_model_extra_flags
	// (commit bcd6b42047, "libvirt: Allow disabling CPU flags via
	// cpu_model_extra_flags"); before it every flag is enabled as written.
	novaFlagPrefixes = 23
)

// featureName is what libvirt calls a CPU feature: lower-case letters,
// digits, '.', '_' and '-' (sse4.1, tsc-deadline, avx512_vnni), with
// Nova's optional +/- prefix.
var featureName = regexp.MustCompile(`^[+-]?[a-z0-9][a-z0-9._-]*$`)

// checkText refuses nova.conf content oslo.config would misread: a NUL or
// another control byte (tabs and line ends aside).
func checkText(path string, data []byte) error {
	line, col := 1, 1
	for _, b := range data {
		switch {
		case b == '\n':
			line, col = line+1, 1
			continue
		case b == '\t' || b == '\r':
		case b < 0x20 || b == 0x7f:
			what := fmt.Sprintf("control byte 0x%02x", b)
			if b == 0 {
				what = "NUL byte"
			}
			return fmt.Errorf("nova.conf %s line %d column %d holds a %s: the file is damaged or not text; fix it (nova-compute reads it too) and run again. Nothing was changed", path, line, col, what)
		}
		col++
	}
	return nil
}

// checkFlags refuses candidates that are not feature names at all before
// anything is tried: each one tried would cost a restart that cannot help.
func checkFlags(cands []Candidate) error {
	var bad []string
	for _, c := range cands {
		if !featureName.MatchString(c.Name) || len(c.Name) > 64 {
			bad = append(bad, strconv.Quote(c.Given))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("not CPU feature names: %s (libvirt names are lower-case letters, digits, '.', '_' and '-', e.g. sse4.1, tsc-deadline, with an optional +/- prefix); remove them. Nothing was written or restarted", strings.Join(bad, ", "))
}

// checkDriver refuses a host whose nova-compute is not the libvirt driver
// with virt_type kvm or qemu: [libvirt] CPU options mean nothing there.
func checkDriver(files []string) error {
	conf := ReadConfValues(files)
	driver, virt := strings.TrimSpace(conf.ComputeDriver), strings.ToLower(strings.TrimSpace(conf.VirtType))
	if driver != "" && driver != "libvirt.LibvirtDriver" && !strings.HasSuffix(driver, ".libvirt.LibvirtDriver") {
		return fmt.Errorf("compute_driver = %s: this nova-compute is not the libvirt driver, so [libvirt] CPU options do nothing here; leave this host out of the hypervisor groups. Nothing was changed", driver)
	}
	if virt != "kvm" && virt != "qemu" {
		return fmt.Errorf("[libvirt] virt_type = %s: Nova uses cpu_mode, cpu_models and cpu_model_extra_flags only for kvm and qemu; leave this host out of the hypervisor groups. Nothing was changed", virt)
	}
	return nil
}

// novaMajor is the major number of a Nova version ("26.2.0",
// "2:26.1.0-3"); 0 when unknown.
func novaMajor(v string) int {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	n := 0
	for _, r := range v {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// readsPrefixes says whether the installed Nova reads +/- in
// cpu_model_extra_flags (Wallaby and later; an unknown version is assumed to).
func readsPrefixes(version string) bool {
	m := novaMajor(version)
	return m == 0 || m >= novaFlagPrefixes
}

// modelsKey is the nova.conf option that names the model for this Nova,
// and checkRelease refuses what that Nova would ignore.
func modelsKey(version string) string {
	if m := novaMajor(version); m > 0 && m < novaCPUModels {
		return novaconf.KeyModelLegacy
	}
	return novaconf.KeyModels
}

func checkRelease(version string, cands []Candidate) error {
	if readsPrefixes(version) {
		return nil
	}
	var prefixed []string
	for _, c := range cands {
		if strings.HasPrefix(c.Name, "+") || strings.HasPrefix(c.Name, "-") {
			prefixed = append(prefixed, c.Given)
		}
	}
	if len(prefixed) == 0 {
		return nil
	}
	return fmt.Errorf("the installed Nova %s takes cpu_model_extra_flags without +/- (Nova reads the prefixes from Wallaby, 23.0.0, on): %s; give the flags to enable without a prefix and leave out those to disable. Nothing was written or restarted", version, strings.Join(prefixed, ", "))
}

// ModelLister names the CPU models the host's libvirt defines.
type ModelLister func(ctx context.Context) ([]string, error)

// checkModel refuses a model the host's libvirt does not define (or, when
// libvirt does not answer, one the built-in catalog lacks), offering the
// closest names: nova-compute refuses to start on an unknown model.
func checkModel(ctx context.Context, model string, list ModelLister) (note string, err error) {
	var names []string
	source := "this host's libvirt"
	if list != nil {
		if names, err = list(ctx); err != nil || len(names) == 0 {
			names = nil
			note = fmt.Sprintf("libvirt did not list its CPU models (%v); %s was checked against the built-in catalog of libvirt's models", err, model)
		}
	}
	if names == nil {
		names, source = cpumodels.Builtin().ModelNames(), "libvirt's CPU model catalog"
	}
	for _, n := range names {
		if n == model {
			return note, nil
		}
	}
	return note, fmt.Errorf("model %q: %s defines no such CPU model%s; nova-compute would refuse to start. Nothing was written or restarted", model, source, closest(model, names))
}

func closest(name string, choices []string) string {
	type cand struct {
		n string
		d int
	}
	var cs []cand
	lower := strings.ToLower(name)
	for _, c := range choices {
		d := editdist.Distance(lower, strings.ToLower(c))
		if d <= 3 || strings.EqualFold(c, name) {
			cs = append(cs, cand{c, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].n < cs[j].n
	})
	if len(cs) == 0 {
		return " (`virsh cpu-models x86_64` lists them)"
	}
	var out []string
	for i, c := range cs {
		if i == 3 {
			break
		}
		out = append(out, c.n)
	}
	return " (did you mean " + strings.Join(out, " or ") + "?)"
}

// DefaultConfigDirs are the directories oslo.config reads for nova-compute
// without a --config-dir argument (oslo_config.cfg.find_config_dirs with
// project nova, prog nova-compute): nova.conf.d/ and nova-compute.conf.d/,
// each in the first of ~/.nova/, ~/, /etc/nova/, /etc/ that has it. Files
// there are read after every --config-file, so a CPU option set in one of
// them wins over nova.conf. root is the host's / (a container's view).
func DefaultConfigDirs(root, home string) []string {
	var out []string
	for _, name := range []string{"nova.conf.d", "nova-compute.conf.d"} {
		var bases []string
		if home != "" {
			bases = append(bases, filepath.Join(home, ".nova"), home)
		}
		bases = append(bases, filepath.Join(root, "etc", "nova"), filepath.Join(root, "etc"))
		for _, b := range bases {
			p := filepath.Join(b, name)
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// disabledFlags checks the model features to disable and returns them as
// cpu_model_extra_flags writes them: "-" and the libvirt name, each once, in
// the order given. A name may be given with or without its "-"; "+" is
// refused (that enables), as is a feature that is also a candidate, and any
// at all when the installed Nova is older than Wallaby, which reads no "-".
func disabledFlags(given []string, cands []Candidate, novaVersion string) ([]string, error) {
	var bare, plus, doubled []string
	for _, g := range given {
		g = strings.TrimSpace(g)
		if strings.HasPrefix(g, "+") {
			plus = append(plus, strconv.Quote(g))
			continue
		}
		name := strings.TrimSpace(strings.TrimPrefix(g, "-"))
		switch {
		case strings.HasPrefix(name, "+") || strings.HasPrefix(name, "-"):
			doubled = append(doubled, strconv.Quote(g))
		case name != "":
			bare = append(bare, name)
		}
	}
	if len(plus) > 0 {
		return nil, fmt.Errorf("disabled_flags %s: these are the model's features to turn off, given bare or with \"-\"; a flag to enable belongs in candidates. Nothing was written or restarted", strings.Join(plus, ", "))
	}
	if len(doubled) > 0 {
		return nil, fmt.Errorf("disabled_flags %s: give each feature bare or with one \"-\" (svm or -svm). Nothing was written or restarted", strings.Join(doubled, ", "))
	}
	dis, _ := Normalize(bare)
	if err := checkFlags(dis); err != nil {
		return nil, fmt.Errorf("disabled_flags: %w", err)
	}
	var out, clash []string
	for _, d := range dis {
		for _, c := range cands {
			if strings.TrimLeft(c.Name, "+-") == d.Name {
				clash = append(clash, fmt.Sprintf("%s (candidate %q)", d.Name, c.Given))
			}
		}
		out = append(out, "-"+d.Name)
	}
	if len(clash) > 0 {
		return nil, fmt.Errorf("disabled_flags and candidates both name %s: a feature is either turned off for the model or decided on, not both; remove it from one. Nothing was written or restarted", strings.Join(clash, ", "))
	}
	if len(out) > 0 && !readsPrefixes(novaVersion) {
		return nil, fmt.Errorf("the installed Nova %s cannot disable model features (it reads \"-flag\" in cpu_model_extra_flags from Wallaby, 23.0.0, on): disabled_flags %s; re-plan for this Nova release (the baseline then picks a model that runs whole) or upgrade Nova. Nothing was written or restarted",
			novaVersion, strings.Join(out, ", "))
	}
	return out, nil
}
