// Command cpu_flags_facts is the Ansible module that gathers a host's CPU
// identity and flags in Linux and libvirt terms. See
// plugins/modules/cpu_flags_facts.py for its documentation.
package main

import (
	"context"
	"os"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/modutil"
)

var spec = ansiblemod.Spec{
	Name:              "cpu_flags_facts",
	SupportsCheckMode: true,
	Params: map[string]ansiblemod.Param{
		"src":         {Type: ansiblemod.TypePath},
		"format":      {Default: "auto", Choices: []string{"auto", "cpuinfo", "lscpu", "lscpu-json", "flags", "domcapabilities", "capabilities", "libvirt-cpu"}},
		"libvirt":     {Default: "auto", Choices: []string{hostfacts.LibvirtAuto, hostfacts.LibvirtAlways, hostfacts.LibvirtNever}},
		"libvirt_uri": {Default: libvirt.DefaultURI},
		"virt_type":   {Default: "kvm", Choices: []string{"kvm", "qemu"}},
		"cpu_map_dir": {Type: ansiblemod.TypePath, Default: "/usr/share/libvirt/cpu_map"},
		"root":        {Type: ansiblemod.TypePath, Default: "/"},
		"guest_view":  {Default: hostfacts.GuestViewPredicted, Choices: []string{hostfacts.GuestViewPredicted, hostfacts.GuestViewCPUInfo}},
		"nested":      {Type: ansiblemod.TypeBool, Default: false},
		"pmu":         {Type: ansiblemod.TypeBool, Default: false},
		"pt":          {Type: ansiblemod.TypeBool, Default: false},
		"stack_linux": {Default: ""},
		"stack_qemu":  {Default: ""},
	},
}

func main() { os.Exit(ansiblemod.Run(spec, os.Args, run)) }

func run(ctx context.Context, m *ansiblemod.Module, r *ansiblemod.Result) error {
	format, err := cpuinfo.ParseFormat(m.Str("format"))
	if err != nil {
		return err
	}
	pred, err := hostfacts.NewPrediction(m.Str("guest_view"), m.Bool("nested"), m.Bool("pmu"), m.Bool("pt"), m.Str("stack_linux"), m.Str("stack_qemu"))
	if err != nil {
		return err
	}
	facts, err := hostfacts.Gather(ctx, hostfacts.Options{
		Prediction: pred,
		Src:        m.Path("src"),
		Format:     format,
		Root:       cpuinfo.HostDir(m.Path("root")),
		Libvirt:    m.Str("libvirt"),
		LibvirtURI: m.Str("libvirt_uri"),
		VirtType:   m.Str("virt_type"),
		CPUMapDir:  m.Path("cpu_map_dir"),
	})
	if err != nil {
		return err
	}
	out, err := modutil.ToMap(facts)
	if err != nil {
		return err
	}
	r.Facts = map[string]any{"cpu_flags": out}
	r.Warnings = append(r.Warnings, facts.Warnings...)
	r.Msg = facts.ModelName + ": " + facts.X86Level + ", trusted view " + facts.TrustedView
	return nil
}
