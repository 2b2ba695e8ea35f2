package hostfacts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/guestview"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
)

// MeasuredStack is the hypervisor software of a live host, which the
// predicted guest view uses where the operator did not state the versions.
type MeasuredStack struct {
	// KernelRelease is the running kernel's release (uname -r), read from
	// /proc/sys/kernel/osrelease.
	KernelRelease string `json:"kernel_release,omitempty"`
	// QEMU is the QEMU version, from libvirt's running hypervisor or the
	// QEMU binary; QEMUSource says which.
	QEMU       string `json:"qemu,omitempty"`
	QEMUSource string `json:"qemu_source,omitempty"`
	// Notes say what could not be read, and why.
	Notes []string `json:"notes,omitempty"`
}

// qemuBinaries are the QEMU system emulators a KVM host runs, by
// distribution (Debian/Ubuntu, RHEL and its rebuilds, SUSE and Arch).
var qemuBinaries = []string{"qemu-system-x86_64", "/usr/libexec/qemu-kvm", "/usr/bin/qemu-kvm"}

var reQEMUVersion = regexp.MustCompile(`version\s+([0-9]+\.[0-9]+(?:\.[0-9]+)?)`)

// measureStack reads the live host's kernel release and QEMU version.
func measureStack(ctx context.Context, opts Options, lv LibvirtView) *MeasuredStack {
	st := &MeasuredStack{}
	root := opts.Root
	if root == "" {
		root = "/"
	}
	path := cpuinfo.HostDir(root).Path("proc", "sys", "kernel", "osrelease")
	if b, err := os.ReadFile(path); err != nil {
		st.Notes = append(st.Notes, fmt.Sprintf("kernel release not read (%v); the prediction assumes the default", err))
	} else {
		st.KernelRelease = strings.TrimSpace(string(b))
	}
	if v := qemuFromLibvirt(lv.Versions); v != "" {
		st.QEMU, st.QEMUSource = v, "libvirt (virsh version: running hypervisor)"
		return st
	}
	probe := opts.QEMUVersion
	if probe == nil {
		probe = qemuBinaryVersion
	}
	v, src, err := probe(ctx)
	if err != nil {
		st.Notes = append(st.Notes, "QEMU version not read: "+err.Error()+"; the prediction assumes the default")
		return st
	}
	st.QEMU, st.QEMUSource = v, src
	return st
}

// qemuFromLibvirt returns the version of "Running hypervisor: QEMU 7.2.0".
func qemuFromLibvirt(v *libvirt.Versions) string {
	if v == nil {
		return ""
	}
	name, ver, ok := strings.Cut(strings.TrimSpace(v.Hypervisor), " ")
	if !ok || !strings.EqualFold(name, "QEMU") {
		return ""
	}
	return strings.TrimSpace(ver)
}

// qemuBinaryVersion runs the first QEMU binary found with --version.
func qemuBinaryVersion(ctx context.Context) (string, string, error) {
	for _, bin := range qemuBinaries {
		path, err := exec.LookPath(bin)
		if err != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := exec.CommandContext(cctx, path, "--version").Output()
		cancel()
		if err != nil {
			return "", "", fmt.Errorf("%s --version: %w", path, err)
		}
		v, err := parseQEMUVersion(out)
		if err != nil {
			return "", "", fmt.Errorf("%s --version: %w", path, err)
		}
		return v, path + " --version", nil
	}
	return "", "", fmt.Errorf("no QEMU binary found (%s)", strings.Join(qemuBinaries, ", "))
}

// parseQEMUVersion reads "QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)".
func parseQEMUVersion(out []byte) (string, error) {
	line, _, _ := bytes.Cut(out, []byte("\n"))
	m := reQEMUVersion.FindSubmatch(line)
	if m == nil || !guestview.ValidVersion(string(m[1])) {
		return "", fmt.Errorf("no version in %q", strings.TrimSpace(string(line)))
	}
	return string(m[1]), nil
}
