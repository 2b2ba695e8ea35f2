package libvirt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DocumentKind names a libvirt XML document an operator can capture.
type DocumentKind string

// Documents read as captured CPU descriptions.
const (
	// DocDomCaps is `virsh domcapabilities`: the host-model CPU (what the
	// hypervisor can give a guest) and each named model's usability.
	DocDomCaps DocumentKind = "domcapabilities"
	// DocCapabilities is `virsh capabilities`: the host CPU (model plus the
	// features beyond it), as the host has it, not as a guest gets it.
	DocCapabilities DocumentKind = "capabilities"
	// DocHostCPU is a lone host <cpu> element: libvirt's cputestdata
	// -host.xml files, or the <cpu> of `virsh capabilities` cut out.
	DocHostCPU DocumentKind = "host-cpu"
	// DocGuestCPU is a guest <cpu> definition whose features carry
	// policies: `virsh hypervisor-cpu-baseline --features` output, a
	// domcapabilities host-model turned into a CPU, libvirt's -json.xml.
	DocGuestCPU DocumentKind = "guest-cpu"
)

// ErrNotLibvirtXML means the input is not one of the libvirt documents.
var ErrNotLibvirtXML = errors.New("not a libvirt CPU document")

// LooksLikeXML reports whether data starts (after a byte-order mark and
// white space) with '<', i.e. cannot be /proc/cpuinfo or lscpu output.
func LooksLikeXML(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimSpace(data)
	return len(data) > 0 && data[0] == '<'
}

// DetectDocument tells which libvirt document data is, from its root
// element (and, for <cpu>, whether its features carry policies).
func DetectDocument(data []byte) (DocumentKind, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("%w: no root element", ErrNotLibvirtXML)
			}
			return "", fmt.Errorf("%w: %v", ErrNotLibvirtXML, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "domainCapabilities":
			return DocDomCaps, nil
		case "capabilities":
			return DocCapabilities, nil
		case "cpu":
			var c xmlAnyCPU
			if err := xml.Unmarshal(data, &c); err != nil {
				return "", fmt.Errorf("%w: <cpu>: %v", ErrNotLibvirtXML, err)
			}
			if c.isGuest() {
				return DocGuestCPU, nil
			}
			return DocHostCPU, nil
		default:
			return "", fmt.Errorf("%w: root element <%s>; expected <domainCapabilities> (virsh domcapabilities), <capabilities> (virsh capabilities) or <cpu> (libvirt's -host.xml, virsh hypervisor-cpu-baseline --features)", ErrNotLibvirtXML, se.Name.Local)
		}
	}
}

// HostCPU is a host CPU as libvirt describes it (virsh capabilities,
// -host.xml): a model plus the features the host has beyond it.
type HostCPU struct {
	Arch      string `json:"arch,omitempty"`
	Model     string `json:"model,omitempty"`
	Vendor    string `json:"vendor,omitempty"`
	Family    *int   `json:"family,omitempty"`
	ModelNum  *int   `json:"model_number,omitempty"`
	Stepping  *int   `json:"stepping,omitempty"`
	Microcode string `json:"microcode,omitempty"`
	// Features are the <feature name=.../> elements: what the host has
	// beyond Model (policy require, or none); Disabled are those with
	// policy disable or forbid (the host lacks them although Model has them).
	Features []string `json:"features,omitempty"`
	Disabled []string `json:"disabled,omitempty"`
}

type xmlAnyCPU struct {
	XMLName   xml.Name `xml:"cpu"`
	Mode      string   `xml:"mode,attr"`
	Match     string   `xml:"match,attr"`
	Arch      string   `xml:"arch"`
	Model     xmlModel `xml:"model"`
	Vendor    string   `xml:"vendor"`
	Microcode struct {
		Version string `xml:"version,attr"`
	} `xml:"microcode"`
	Signature *struct {
		Family   string `xml:"family,attr"`
		Model    string `xml:"model,attr"`
		Stepping string `xml:"stepping,attr"`
	} `xml:"signature"`
	Features []xmlFeature `xml:"feature"`
}

func (c *xmlAnyCPU) isGuest() bool {
	if c.Mode != "" || c.Match != "" {
		return true
	}
	for _, f := range c.Features {
		if f.Policy != "" {
			return true
		}
	}
	return false
}

func (c *xmlAnyCPU) host(where string) (*HostCPU, error) {
	h := &HostCPU{
		Arch:      strings.TrimSpace(c.Arch),
		Model:     strings.TrimSpace(c.Model.Name),
		Vendor:    strings.TrimSpace(c.Vendor),
		Microcode: strings.TrimSpace(c.Microcode.Version),
	}
	if h.Model == "" && len(c.Features) == 0 {
		return nil, fmt.Errorf("%s: the host <cpu> names no model and no feature; is this the output of a host without KVM?", where)
	}
	if c.Signature != nil {
		var err error
		if h.Family, err = optInt(c.Signature.Family); err != nil {
			return nil, fmt.Errorf("%s: <signature family=%q>: %v", where, c.Signature.Family, err)
		}
		if h.ModelNum, err = optInt(c.Signature.Model); err != nil {
			return nil, fmt.Errorf("%s: <signature model=%q>: %v", where, c.Signature.Model, err)
		}
		if h.Stepping, err = optInt(c.Signature.Stepping); err != nil {
			return nil, fmt.Errorf("%s: <signature stepping=%q>: %v", where, c.Signature.Stepping, err)
		}
	}
	for _, f := range c.Features {
		name := strings.TrimSpace(f.Name)
		if name == "" {
			return nil, fmt.Errorf("%s: a <feature> without a name", where)
		}
		switch f.Policy {
		case "", "require", "force", "optional":
			h.Features = append(h.Features, name)
		case "disable", "forbid":
			h.Disabled = append(h.Disabled, name)
		default:
			return nil, fmt.Errorf("%s: feature %s has policy %q; libvirt knows force, require, optional, disable and forbid", where, name, f.Policy)
		}
	}
	return h, nil
}

func optInt(s string) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 0, 32)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("not a non-negative integer")
	}
	v := int(n)
	return &v, nil
}

// ParseHostCPU parses a host <cpu> element (libvirt's -host.xml).
func ParseHostCPU(data []byte) (*HostCPU, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("parse host cpu: empty input; pass a <cpu> element such as libvirt's tests/cputestdata/*-host.xml")
	}
	var c xmlAnyCPU
	if err := xml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("parse host cpu: %w (expected a <cpu> element)", err)
	}
	return c.host("host <cpu>")
}

// Capabilities is the CPU part of `virsh capabilities`.
type Capabilities struct {
	HostCPU HostCPU `json:"host_cpu"`
}

type xmlCapabilities struct {
	XMLName xml.Name `xml:"capabilities"`
	Host    struct {
		CPU *xmlAnyCPU `xml:"cpu"`
	} `xml:"host"`
}

// ParseCapabilities parses the output of `virsh capabilities` and keeps
// the host CPU.
func ParseCapabilities(data []byte) (*Capabilities, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("parse capabilities: empty input; pass the output of `virsh capabilities`")
	}
	var x xmlCapabilities
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("parse capabilities: %w (expected the <capabilities> document printed by `virsh capabilities`)", err)
	}
	if x.Host.CPU == nil {
		return nil, errors.New("parse capabilities: no <host><cpu> element; capture `virsh capabilities` on the hypervisor itself")
	}
	h, err := x.Host.CPU.host("capabilities <host><cpu>")
	if err != nil {
		return nil, err
	}
	return &Capabilities{HostCPU: *h}, nil
}
