package cpuinfo

import (
	"bytes"
	"fmt"
	"strings"
)

// cpuinfoKeys are /proc/cpuinfo keys of x86 and the non-x86 architectures
// whose cpuinfo we want to recognise (to reject it with ErrNotX86).
var cpuinfoKeys = map[string]bool{
	"processor": true, "vendor_id": true, "cpu family": true, "model name": true,
	"flags": true, "stepping": true, "microcode": true, "bogomips": true,
	"CPU implementer": true, "CPU architecture": true, "CPU part": true, "Features": true, // arm
	"# processors": true, "features": true, // s390x
	"cpu": true, "timebase": true, "platform": true, // ppc64
	"isa": true, "hart": true, "mmu": true, // riscv
}

// lscpuKeys are keys that only lscpu prints (capitalised, unlike cpuinfo).
var lscpuKeys = map[string]bool{
	"Architecture": true, "CPU op-mode(s)": true, "Byte Order": true, "CPU(s)": true,
	"On-line CPU(s) list": true, "Vendor ID": true, "Model name": true, "CPU family": true,
	"Flags": true, "Thread(s) per core": true, "Socket(s)": true, "BogoMIPS": true,
}

// Detect guesses the format of data. It returns ErrEmpty for blank input and
// ErrUnknownFormat when the input matches no format.
func Detect(data []byte) (Format, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return "", fmt.Errorf("%w: give a /proc/cpuinfo, lscpu or lscpu -J capture, or a flag list", ErrEmpty)
	}
	if trimmed[0] == '{' {
		return FormatLscpuJSON, nil
	}
	if bytes.HasPrefix(bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf")), []byte("<")) {
		return "", fmt.Errorf("%w: an XML document; libvirt's (virsh domcapabilities, virsh capabilities, a <cpu> element) are read by cpu_flags_facts and cpuflags facts, not as /proc/cpuinfo", ErrLibvirtXML)
	}
	first := true
	rest := data
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' && !strings.HasPrefix(s, "# processors") {
			continue
		}
		if first && validFlag(s) {
			return FormatFlagList, nil // first line is a lone flag name
		}
		first = false
		if key, _, ok := strings.Cut(s, ":"); ok {
			key = strings.TrimSpace(key)
			switch {
			case cpuinfoKeys[key]:
				return FormatCPUInfo, nil
			case lscpuKeys[key]:
				return FormatLscpu, nil
			}
		}
	}
	return "", fmt.Errorf("%w: the input is not /proc/cpuinfo, lscpu, lscpu -J, a flag list (one flag per line) or a libvirt XML document (virsh domcapabilities, virsh capabilities, a <cpu> element); check the file, or give the format explicitly", ErrUnknownFormat)
}
