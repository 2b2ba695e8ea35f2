// Command nova_cpu_flag_probe is the Ansible module that decides which CPU
// flags nova-compute accepts on a hypervisor for a base model, and says for
// each rejected flag why. See plugins/modules/nova_cpu_flag_probe.py.
//
// It does not link go-plugin: external probers are reached through the
// separate cpuflags-prober-host program. Run with the hidden arguments
// "--cpuflags-watchdog JOURNAL PID" it is the detached watchdog that restores
// nova.conf when a probe process dies.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
	"github.com/kvm-migration/cpuflags/internal/probe"
	"github.com/kvm-migration/cpuflags/internal/proberplugin/wire"
)

var spec = ansiblemod.Spec{
	Name:              "nova_cpu_flag_probe",
	SupportsCheckMode: true,
	RequiredIf:        []ansiblemod.RequiredIf{{Param: "mode", Value: modeProbe, Requires: []string{"model", "candidates"}}},
	Params: map[string]ansiblemod.Param{
		"mode":               {Default: modeProbe, Choices: []string{modeProbe, modeVerify, modeRestore}},
		"model":              {},
		"candidates":         {Type: ansiblemod.TypeList, Aliases: []string{"flags"}},
		"require_all":        {Type: ansiblemod.TypeBool, Default: false},
		"backup":             {Type: ansiblemod.TypePath},
		"strategy":           {Default: "auto"},
		"apply":              {Type: ansiblemod.TypeBool, Default: false},
		"nova_conf":          {Type: ansiblemod.TypePath, Default: "/etc/nova/nova.conf"},
		"extra_config_files": {Type: ansiblemod.TypeList, Elements: ansiblemod.TypePath, Default: []any{"/etc/nova/nova-compute.conf"}},
		"service":            {Type: ansiblemod.TypeDict, Default: map[string]any{}},
		"nova_check":         {Default: "auto", Choices: []string{"auto", wire.CheckCompareHypervisorCPU, wire.CheckCompareCPU, wire.CheckNone}},
		"libvirt_uri":        {},
		"plugin_dir":         {Type: ansiblemod.TypePath},
		"plugin_host":        {Type: ansiblemod.TypePath},
		"plugin_options":     {Type: ansiblemod.TypeDict},
		"timeout":            {Type: ansiblemod.TypeInt, Default: 180},
		"accept_grace":       {Type: ansiblemod.TypeFloat, Default: 3.0},
	},
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == probe.WatchdogArg {
		pid, _ := strconv.Atoi(os.Args[3])
		os.Exit(probe.RunWatchdog(os.Args[2], pid))
	}
	os.Exit(ansiblemod.Run(spec, os.Args, run))
}

// serviceKeys are the keys of the service dict.
var serviceKeys = []string{"kind", "unit", "restart_command", "status_command", "pid_command", "pid_file", "log_path"}

// serviceSpec builds the service spec from the service dict, detecting the
// kind when it is auto or missing.
func serviceSpec(d map[string]any) (novaservice.Spec, error) {
	for k := range d {
		known := false
		for _, s := range serviceKeys {
			known = known || k == s
		}
		if !known {
			return novaservice.Spec{}, fmt.Errorf("service: unknown key %q; known keys: %s", k, strings.Join(serviceKeys, ", "))
		}
	}
	str := func(k string) string {
		if v, ok := d[k]; ok && v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	argv := func(k string) ([]string, error) {
		switch v := d[k].(type) {
		case nil:
			return nil, nil
		case string:
			return strings.Fields(v), nil
		case []any:
			out := make([]string, len(v))
			for i, e := range v {
				out[i] = fmt.Sprint(e)
			}
			return out, nil
		}
		return nil, fmt.Errorf("service.%s must be a list of arguments or a string", k)
	}
	s := novaservice.Spec{Kind: novaservice.Kind(str("kind")), Unit: str("unit"),
		PIDFile: os.ExpandEnv(str("pid_file")), LogPath: os.ExpandEnv(str("log_path"))}
	var err error
	if s.RestartCommand, err = argv("restart_command"); err != nil {
		return s, err
	}
	if s.StatusCommand, err = argv("status_command"); err != nil {
		return s, err
	}
	if s.PIDCommand, err = argv("pid_command"); err != nil {
		return s, err
	}
	if s.LogPath == "" {
		s.LogPath = "/var/log/nova/nova-compute.log"
	}
	if s.Kind == "" || s.Kind == "auto" {
		s = detectService(s)
		if s.Kind == "" {
			return s, fmt.Errorf("service.kind: cannot tell how nova-compute is managed here (no systemd unit nova-compute/openstack-nova-compute, no /etc/init.d/nova-compute); set service.kind to one of systemd, sysv, docker, podman, command")
		}
	}
	return s, nil
}

// detectService fills kind (and unit, pid file) from what the host has.
func detectService(s novaservice.Spec) novaservice.Spec {
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		for _, unit := range []string{"nova-compute", "openstack-nova-compute"} {
			if s.Unit != "" && s.Unit != unit {
				continue
			}
			for _, dir := range []string{"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"} {
				if _, err := os.Stat(filepath.Join(dir, unit+".service")); err == nil {
					s.Kind, s.Unit = novaservice.KindSystemd, unit
					return s
				}
			}
		}
	}
	if _, err := os.Stat("/etc/init.d/nova-compute"); err == nil {
		s.Kind = novaservice.KindSysV
		if s.Unit == "" {
			s.Unit = "nova-compute"
		}
		if s.PIDFile == "" {
			s.PIDFile = "/var/run/nova/nova-compute.pid"
		}
	}
	return s
}

func run(ctx context.Context, m *ansiblemod.Module, r *ansiblemod.Result) error {
	svc, err := serviceSpec(m.Dict("service"))
	if err != nil {
		return err
	}
	switch m.Str("mode") {
	case modeVerify:
		return runVerify(ctx, m, r, svc)
	case modeRestore:
		return runRestore(ctx, m, r, svc)
	}
	strategy := m.Str("strategy")
	if !strings.HasPrefix(strategy, probe.PluginPrefix) {
		ok := false
		for _, s := range probe.Strategies {
			ok = ok || s == strategy
		}
		if !ok {
			return fmt.Errorf("strategy %q is not one of %s or plugin:NAME", strategy, strings.Join(probe.Strategies, ", "))
		}
	}
	conf := m.Path("nova_conf")
	extra := m.List("extra_config_files")
	cv := probe.ReadConfValues(append([]string{conf}, extra...))
	check, err := probe.ResolveNovaCheck(ctx, m.Str("nova_check"), cv, svc, nil)
	if err != nil {
		return err
	}
	if check.Check == wire.CheckNone {
		r.Warn("nova-compute runs no start-up CPU check here (%s): every flag passes at start-up and is only checked when guests start", check.Source)
	}
	uri := m.Str("libvirt_uri")
	if uri == "" {
		uri = cv.ConnectionURI
	}
	if uri == "" {
		uri = "qemu:///system"
	}
	opts := probe.Options{
		Model: m.Str("model"), Candidates: m.List("candidates"), Strategy: strategy, Apply: m.Bool("apply"),
		RequireAll: m.Bool("require_all"),
		CheckMode:  m.CheckMode, ConfPath: conf, ExtraConfigFiles: extra, Service: svc, Check: check, LibvirtURI: uri,
		Timeout: time.Duration(m.Int("timeout")) * time.Second,
		Wait:    novaservice.WaitOptions{Grace: time.Duration(m.Float("accept_grace") * float64(time.Second))},
		Spawn: func(journal string) error {
			return probe.SpawnWatchdog(filepath.Base(os.Args[0]), journal)
		},
		Progress: func(s string) { fmt.Fprintln(os.Stderr, "nova_cpu_flag_probe:", s) },
	}
	if po := m.Dict("plugin_options"); po != nil {
		opts.PluginOptions = map[string]string{}
		for k, v := range po {
			opts.PluginOptions[k] = fmt.Sprint(v)
		}
	}
	if name, ok := strings.CutPrefix(strategy, probe.PluginPrefix); ok {
		dir := m.Path("plugin_dir")
		if dir == "" {
			return fmt.Errorf("strategy %s needs plugin_dir, the directory holding cpuflags-plugin-%s", strategy, name)
		}
		host := m.Path("plugin_host")
		if host == "" {
			host = filepath.Join(dir, "cpuflags-prober-host")
		}
		ep, err := probe.StartExecProber(ctx, host, dir, name)
		if err != nil {
			return err
		}
		defer ep.Close()
		opts.Predictor = ep
	}
	rep, err := probe.Run(ctx, opts)
	fields := result(rep)
	for k, v := range fields {
		r.Set(k, v)
	}
	r.Warnings = append(r.Warnings, rep.Warnings...)
	if err != nil {
		return ansiblemod.WithFields(err, fields)
	}
	r.Changed = rep.Changed
	if rep.Diff != "" {
		r.AddDiff(ansiblemod.DiffEntry{Prepared: rep.Diff})
	}
	r.Msg = fmt.Sprintf("%s on %s: %d accepted, %d rejected, %d restart(s) (check %s)", strategy, opts.Model, len(rep.Accepted), len(rep.Rejected), rep.Restarts, check.Check)
	return nil
}

func result(rep *probe.Report) map[string]any {
	out := map[string]any{
		"accepted": rep.Accepted, "rejected": rep.Rejected, "candidates": rep.Candidates,
		"restarts": rep.Restarts, "strategy": rep.Strategy, "steps": rep.Steps,
		"nova_check": rep.NovaCheck.Check, "nova_check_source": rep.NovaCheck.Source,
	}
	if rep.Accepted == nil {
		out["accepted"] = []string{}
	}
	if rep.NovaCheck.NovaVersion != "" {
		out["nova_version"] = rep.NovaCheck.NovaVersion
	}
	if rep.Backup != "" {
		out["backup"] = rep.Backup
	}
	if len(rep.Recovered) > 0 {
		out["recovered"] = rep.Recovered
	}
	if rep.Confirmed != "" {
		out["confirmed"] = rep.Confirmed
	}
	return out
}
