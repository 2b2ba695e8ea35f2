package probe

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// Setup is what the operator may leave to the host; Prepare resolves it.
type Setup struct {
	// NovaCheck is auto (detect the installed Nova's start-up check),
	// compareCPU, compareHypervisorCPU or none.
	NovaCheck string
	// PluginDir holds cpuflags-plugin-NAME (strategy plugin:NAME).
	PluginDir string
	// PluginHost is the plugin host program ("": PluginDir/cpuflags-prober-host).
	PluginHost string
	// Root is the host's / as this process sees it ("" or "/": this
	// machine), for oslo.config's default config directories.
	Root string
	// NovaHome is the home directory of the user nova-compute runs as
	// ("": only the /etc directories are looked at).
	NovaHome string
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if filepath.Clean(x) == filepath.Clean(s) {
			return true
		}
	}
	return false
}

// CheckStrategy says whether s is a built-in strategy or plugin:NAME.
func CheckStrategy(s string) error {
	if strings.HasPrefix(s, PluginPrefix) {
		return nil
	}
	for _, known := range Strategies {
		if s == known {
			return nil
		}
	}
	return fmt.Errorf("strategy %q is not one of %s or plugin:NAME", s, strings.Join(Strategies, ", "))
}

// Prepare completes o for Run from what the host says: o.Check (the
// start-up comparison the installed Nova runs), o.LibvirtURI when empty
// (nova.conf's connection_uri, else qemu:///system) and, for plugin:NAME,
// o.Predictor (the external prober, started here). It returns warnings for
// the operator and done, which ends the plugin host: call it after Run.
func Prepare(ctx context.Context, o *Options, s Setup) (warnings []string, done func(), err error) {
	done = func() {}
	if err := CheckStrategy(o.Strategy); err != nil {
		return nil, done, err
	}
	// oslo.config reads nova.conf.d/ and nova-compute.conf.d/ after every
	// --config-file unless nova-compute is given --config-dir: check them for
	// overrides too when nova.conf is where a package puts it.
	root := s.Root
	if root == "" {
		root = "/"
	}
	if filepath.Clean(filepath.Dir(o.ConfPath)) == filepath.Join(root, "etc", "nova") {
		for _, d := range DefaultConfigDirs(root, s.NovaHome) {
			if !contains(o.ExtraConfigFiles, d) {
				o.ExtraConfigFiles = append(o.ExtraConfigFiles, d)
			}
		}
	}
	cv := ReadConfValues(append([]string{o.ConfPath}, o.ExtraConfigFiles...))
	o.VirtType = cv.VirtType
	if o.Check, err = ResolveNovaCheck(ctx, s.NovaCheck, cv, o.Service, nil); err != nil {
		return nil, done, err
	}
	if o.Check.NovaVersion == "" {
		// Which options this Nova reads (cpu_model before Train, +/- flags
		// from Wallaby) also matters when nova_check was given.
		if v, _, err := DetectNovaVersion(ctx, o.Service, nil); err == nil {
			o.Check.NovaVersion = v
		}
	}
	o.ModelsKey = modelsKey(o.Check.NovaVersion)
	if o.Check.Check == prober.CheckNone {
		warnings = append(warnings, fmt.Sprintf("nova-compute runs no start-up CPU check here (%s): every flag passes at start-up and is only checked when guests start", o.Check.Source))
	}
	if o.LibvirtURI == "" {
		o.LibvirtURI = cv.ConnectionURI
	}
	if o.LibvirtURI == "" {
		o.LibvirtURI = libvirt.DefaultURI
	}
	name, ok := strings.CutPrefix(o.Strategy, PluginPrefix)
	if !ok {
		return warnings, done, nil
	}
	if s.PluginDir == "" {
		return warnings, done, fmt.Errorf("strategy %s needs plugin_dir, the directory holding cpuflags-plugin-%s", o.Strategy, name)
	}
	host := s.PluginHost
	if host == "" {
		host = filepath.Join(s.PluginDir, "cpuflags-prober-host")
	}
	ep, err := StartExecProber(ctx, host, s.PluginDir, name)
	if err != nil {
		return warnings, done, err
	}
	o.Predictor = ep
	return warnings, func() { ep.Close() }, nil
}
