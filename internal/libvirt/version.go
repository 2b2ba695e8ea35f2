package libvirt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Versions is what `virsh version` reports.
type Versions struct {
	// Libvirt is the version of the libvirt library virsh uses, e.g. "9.0.0".
	Libvirt string `json:"libvirt"`
	// LibvirtAPI is the connection driver and its API version, e.g. "QEMU 9.0.0".
	LibvirtAPI string `json:"libvirt_api,omitempty"`
	// Hypervisor is the running hypervisor, e.g. "QEMU 7.2.0".
	Hypervisor string `json:"hypervisor,omitempty"`
	// Daemon is the libvirtd version, only printed by `virsh version --daemon`.
	Daemon string `json:"daemon,omitempty"`
}

// ParseVersion parses the output of `virsh version` (optionally --daemon):
//
//	Compiled against library: libvirt 9.0.0
//	Using library: libvirt 9.0.0
//	Using API: QEMU 9.0.0
//	Running hypervisor: QEMU 7.2.22
//
// The library version is required; the other lines are optional.
func ParseVersion(out []byte) (Versions, error) {
	var v Versions
	var compiled string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "Compiled against library":
			compiled = strings.TrimSpace(strings.TrimPrefix(val, "libvirt"))
		case "Using library":
			v.Libvirt = strings.TrimSpace(strings.TrimPrefix(val, "libvirt"))
		case "Using API":
			v.LibvirtAPI = val
		case "Running hypervisor":
			v.Hypervisor = val
		case "Running against daemon":
			v.Daemon = val
		}
	}
	if err := sc.Err(); err != nil {
		return Versions{}, fmt.Errorf("parse virsh version output: %w", err)
	}
	if v.Libvirt == "" {
		v.Libvirt = compiled
	}
	if v.Libvirt == "" {
		return Versions{}, errors.New("parse virsh version output: no \"Using library: libvirt X.Y.Z\" line; pass the output of `virsh version` (run with LC_ALL=C)")
	}
	return v, nil
}
