// Command nova_cpu_flag_probe is the Ansible module that decides which CPU
// flags nova-compute accepts on a hypervisor for a base model, and says for
// each rejected flag why. See plugins/modules/nova_cpu_flag_probe.py.
//
// The work is in internal/probe (probe, verify, restore) and
// internal/novaservice (how nova-compute is managed here); this command
// parses the module's parameters, calls them and reports.
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
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
	"github.com/kvm-migration/cpuflags/internal/hostpath"
	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
	"github.com/kvm-migration/cpuflags/internal/probe"
	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// The module's modes: the rollout role probes, its handler verifies
// nova-compute after a change, and its rescue makes sure a host ends on its
// previous configuration.
const (
	modeProbe   = "probe"
	modeVerify  = "verify"
	modeRestore = "restore"
)

var spec = ansiblemod.Spec{
	Name:              "nova_cpu_flag_probe",
	SupportsCheckMode: true,
	RequiredIf:        []ansiblemod.RequiredIf{{Param: "mode", Value: modeProbe, Requires: []string{"model", "candidates"}}},
	Params: map[string]ansiblemod.Param{
		"mode":               {Default: modeProbe, Choices: []string{modeProbe, modeVerify, modeRestore}},
		"model":              {},
		"candidates":         {Type: ansiblemod.TypeList, Aliases: []string{"flags"}},
		"disabled_flags":     {Type: ansiblemod.TypeList, Elements: ansiblemod.TypeStr, Default: []any{}},
		"require_all":        {Type: ansiblemod.TypeBool, Default: false},
		"backup":             {Type: ansiblemod.TypePath},
		"strategy":           {Default: "auto"},
		"apply":              {Type: ansiblemod.TypeBool, Default: false},
		"nova_conf":          {Type: ansiblemod.TypePath, Default: novaconf.DefaultPath},
		"extra_config_files": {Type: ansiblemod.TypeList, Elements: ansiblemod.TypePath, Default: []any{novaconf.DefaultExtraConfigFile}},
		"service":            {Type: ansiblemod.TypeDict, Default: map[string]any{}},
		"nova_check":         {Default: "auto", Choices: []string{"auto", prober.CheckCompareHypervisorCPU, prober.CheckCompareCPU, prober.CheckNone}},
		"libvirt_uri":        {},
		"plugin_dir":         {Type: ansiblemod.TypePath},
		"plugin_host":        {Type: ansiblemod.TypePath},
		"plugin_options":     {Type: ansiblemod.TypeDict},
		"timeout":            {Type: ansiblemod.TypeInt, Default: 180},
		"accept_grace":       {Type: ansiblemod.TypeFloat, Default: 3.0},
	},
}

func main() { os.Exit(main1()) }

func main1() int {
	if len(os.Args) == 4 && os.Args[1] == probe.WatchdogArg {
		pid, _ := strconv.Atoi(os.Args[3])
		return probe.RunWatchdog(os.Args[2], pid)
	}
	return ansiblemod.Run(spec, os.Args, run)
}

func run(ctx context.Context, m *ansiblemod.Module, r *ansiblemod.Result) error {
	svc, err := novaservice.SpecFromDict(m.Dict("service"), hostpath.HostDir("/"))
	if err != nil {
		return err
	}
	grace := time.Duration(m.Float("accept_grace") * float64(time.Second))
	timeout := time.Duration(m.Int("timeout")) * time.Second
	switch m.Str("mode") {
	case modeVerify:
		msg, err := probe.Verify(ctx, probe.VerifyOptions{ConfPath: m.Path("nova_conf"), Service: svc, Grace: grace, CheckMode: m.CheckMode})
		r.Msg = msg
		return err
	case modeRestore:
		rep, err := probe.Restore(ctx, probe.RestoreOptions{ConfPath: m.Path("nova_conf"), Backup: m.Path("backup"), Service: svc,
			Timeout: timeout, Wait: novaservice.WaitOptions{Grace: grace}, CheckMode: m.CheckMode})
		return restoreResult(r, rep, err)
	}
	opts := probe.Options{
		Model: m.Str("model"), Candidates: m.List("candidates"), Disabled: m.List("disabled_flags"), Strategy: m.Str("strategy"), Apply: m.Bool("apply"),
		RequireAll: m.Bool("require_all"), CheckMode: m.CheckMode,
		ConfPath: m.Path("nova_conf"), ExtraConfigFiles: m.List("extra_config_files"), Service: svc, LibvirtURI: m.Str("libvirt_uri"),
		Timeout: timeout, Wait: novaservice.WaitOptions{Grace: grace},
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
	novaHome := ""
	if u, err := user.Lookup("nova"); err == nil {
		novaHome = u.HomeDir
	}
	warnings, done, err := probe.Prepare(ctx, &opts, probe.Setup{NovaCheck: m.Str("nova_check"), PluginDir: m.Path("plugin_dir"), PluginHost: m.Path("plugin_host"),
		Root: "/", NovaHome: novaHome})
	defer done()
	r.Warnings = append(r.Warnings, warnings...)
	if err != nil {
		return err
	}
	rep, err := probe.Run(ctx, opts)
	return probeResult(r, opts, rep, err)
}

// probeResult reports a probe: its fields also when it failed.
func probeResult(r *ansiblemod.Result, opts probe.Options, rep *probe.Report, err error) error {
	fields := map[string]any{
		"accepted": rep.Accepted, "disabled": rep.Disabled, "rejected": rep.Rejected, "candidates": rep.Candidates,
		"restarts": rep.Restarts, "strategy": rep.Strategy, "steps": rep.Steps,
		"nova_check": rep.NovaCheck.Check, "nova_check_source": rep.NovaCheck.Source,
		"already_applied": rep.AlreadyApplied != "", "started": rep.Started,
	}
	if rep.Accepted == nil {
		fields["accepted"] = []string{}
	}
	if rep.Disabled == nil {
		fields["disabled"] = []string{}
	}
	if rep.Steps == nil {
		fields["steps"] = []probe.Step{}
	}
	if rep.NovaCheck.NovaVersion != "" {
		fields["nova_version"] = rep.NovaCheck.NovaVersion
	}
	if rep.Backup != "" {
		fields["backup"] = rep.Backup
	}
	if rep.Diff != "" {
		// Also outside --diff, so that the rollout role can print each
		// distinct change once instead of the same diff for every host.
		fields["nova_conf_diff"] = rep.Diff
	}
	if len(rep.Recovered) > 0 {
		fields["recovered"] = rep.Recovered
	}
	if rep.Confirmed != "" {
		fields["confirmed"] = rep.Confirmed
	}
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
	r.Msg = fmt.Sprintf("%s on %s: %d accepted, %d rejected, %d restart(s) (check %s)",
		opts.Strategy, opts.Model, len(rep.Accepted), len(rep.Rejected), rep.Restarts, opts.Check.Check)
	if rep.AlreadyApplied != "" {
		r.Msg = "already applied: " + rep.AlreadyApplied + "; nothing tried, written or restarted"
	}
	if rep.Started {
		r.Msg += "; nova-compute was not running and was started"
	}
	return nil
}

// restoreResult reports a restore (mode=restore).
func restoreResult(r *ansiblemod.Result, rep *probe.RestoreReport, err error) error {
	r.Changed, r.Msg = rep.Changed, rep.Msg
	if rep.Recovered != nil {
		r.Set("recovered", *rep.Recovered)
	}
	if rep.Diff != "" {
		r.AddDiff(ansiblemod.DiffEntry{Prepared: rep.Diff})
	}
	if err != nil && rep.Reason != "" {
		return ansiblemod.WithFields(err, map[string]any{"reason": rep.Reason})
	}
	return err
}
