package hostfacts

import (
	"context"
	"errors"

	"github.com/kvm-migration/cpuflags/internal/libvirt"
)

func askLibvirt(ctx context.Context, opts Options, f *Facts) LibvirtView {
	v := LibvirtView{VirtType: opts.VirtType}
	switch {
	case opts.Libvirt == LibvirtNever:
		v.Reason = "not asked (libvirt=never)"
		return v
	case opts.Src != "" && opts.Libvirt != LibvirtAlways:
		v.Reason = "not asked: the facts come from a captured file, not from this host"
		return v
	}
	v.Asked = true
	runner := opts.Runner
	if runner == nil {
		runner = libvirt.Virsh{URI: opts.LibvirtURI}
	}
	client := libvirt.Client{R: runner}
	virtType := opts.VirtType
	if virtType == "" {
		virtType = "kvm"
	}
	// domcapabilities does not need the versions: ask both at once (two
	// virsh processes overlap; a gather is mostly waiting for virsh).
	type domCaps struct {
		dc  *libvirt.DomCaps
		raw []byte
		err error
	}
	dcc := make(chan domCaps, 1)
	go func() {
		dc, raw, err := client.DomCaps(ctx, virtType)
		dcc <- domCaps{dc, raw, err}
	}()
	vers, err := client.Versions(ctx)
	got := <-dcc
	if err != nil {
		v.Reason = describeLibvirtError(err)
		return v
	}
	v.Versions = &vers
	v.VirtType = virtType
	dc, raw, err := got.dc, got.raw, got.err
	if err != nil {
		v.Reason = describeLibvirtError(err)
		return v
	}
	v.Models = dc.Models
	for _, m := range dc.Models {
		if m.Usable == "yes" {
			v.UsableModels = append(v.UsableModels, m.Name)
		}
	}
	if !dc.HostModel.Supported {
		v.Reason = "libvirt reports no host-model CPU for virt type " + virtType
		return v
	}
	feats, err := client.HostModelFeatures(ctx, dc, raw)
	if err != nil {
		v.Reason = describeLibvirtError(err)
		return v
	}
	v.Available = true
	v.HostModel = dc.HostModel.Model
	v.HostModelVendor = dc.HostModel.Vendor
	v.HostModelFeature = nonNil(feats)
	return v
}

func describeLibvirtError(err error) string {
	if errors.Is(err, libvirt.ErrVirshNotFound) {
		return "virsh is not installed on this host (install libvirt-clients); /proc/cpuinfo is trusted instead: " + err.Error()
	}
	return err.Error() + "; /proc/cpuinfo is trusted instead"
}
