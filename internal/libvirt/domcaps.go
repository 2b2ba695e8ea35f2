package libvirt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Usability values of a CPU model in domain capabilities.
const (
	UsableYes     = "yes"
	UsableNo      = "no"
	UsableUnknown = "unknown"
)

// FeaturePolicy is one <feature policy=... name=.../> of a CPU definition.
type FeaturePolicy struct {
	// Name is libvirt's feature name, e.g. "sse4.1".
	Name string `json:"name"`
	// Policy is require, disable, force, optional or forbid.
	Policy string `json:"policy"`
}

// ModelUsability is one named CPU model of domain capabilities' custom mode.
type ModelUsability struct {
	// Name is the model name, e.g. "Westmere".
	Name string `json:"name"`
	// Usable is yes, no or unknown (anything else libvirt prints is reported as unknown).
	Usable string `json:"usable"`
	// Vendor is the model's vendor (Intel, AMD, Hygon, unknown).
	Vendor string `json:"vendor,omitempty"`
	// Deprecated is true when libvirt marks the model deprecated='yes'.
	Deprecated bool `json:"deprecated,omitempty"`
	// Canonical is the versioned name this alias stands for, e.g. "Westmere-v1".
	Canonical string `json:"canonical,omitempty"`
	// Blockers are the features that make the model unusable, as listed by
	// newer libvirt in <blockers model=...>; libvirt 9.0 does not print them.
	Blockers []string `json:"blockers,omitempty"`
}

// HostModel is domain capabilities' host-model CPU: what the hypervisor can
// give a guest, as a named model plus feature adjustments.
type HostModel struct {
	// Supported tells whether the host-model mode is supported at all.
	Supported bool `json:"supported"`
	// Model is the base model name, e.g. "EPYC-Milan".
	Model string `json:"model,omitempty"`
	// Vendor is the CPU vendor, e.g. "AMD".
	Vendor string `json:"vendor,omitempty"`
	// Fallback is the model's fallback attribute (allow or forbid).
	Fallback string `json:"fallback,omitempty"`
	// Features adjust the base model (require = added, disable = removed).
	Features []FeaturePolicy `json:"features,omitempty"`
}

// DomCaps is the CPU-related part of `virsh domcapabilities`.
type DomCaps struct {
	// Emulator is the emulator binary (<path>).
	Emulator string `json:"emulator,omitempty"`
	// Arch is the guest architecture, e.g. x86_64.
	Arch string `json:"arch,omitempty"`
	// Machine is the machine type, e.g. pc-i440fx-7.2.
	Machine string `json:"machine,omitempty"`
	// VirtType is the domain type (<domain>): kvm or qemu.
	VirtType string `json:"virt_type,omitempty"`
	// HostModel is the host-model CPU mode.
	HostModel HostModel `json:"host_model"`
	// HostPassthrough tells whether host-passthrough is supported.
	HostPassthrough bool `json:"host_passthrough"`
	// Models are the named models of the custom mode, in libvirt's order.
	Models []ModelUsability `json:"models,omitempty"`
}

// Model returns the model called name (exact match) and whether it exists.
func (d *DomCaps) Model(name string) (ModelUsability, bool) {
	for _, m := range d.Models {
		if m.Name == name {
			return m, true
		}
	}
	return ModelUsability{}, false
}

// UsableModels returns the names of the models with usable='yes', in libvirt's order.
func (d *DomCaps) UsableModels() []string {
	var out []string
	for _, m := range d.Models {
		if m.Usable == UsableYes {
			out = append(out, m.Name)
		}
	}
	return out
}

// HostModelCPUXML renders the host-model CPU as a <cpu> element, the input
// `virsh hypervisor-cpu-baseline` expects when no domcapabilities document is
// at hand.
func (d *DomCaps) HostModelCPUXML() []byte {
	var b bytes.Buffer
	b.WriteString("<cpu mode='custom' match='exact'>\n")
	fallback := d.HostModel.Fallback
	if fallback == "" {
		fallback = "forbid"
	}
	fmt.Fprintf(&b, "  <model fallback='%s'>%s</model>\n", escape(fallback), escape(d.HostModel.Model))
	if d.HostModel.Vendor != "" {
		fmt.Fprintf(&b, "  <vendor>%s</vendor>\n", escape(d.HostModel.Vendor))
	}
	for _, f := range d.HostModel.Features {
		fmt.Fprintf(&b, "  <feature policy='%s' name='%s'/>\n", escape(f.Policy), escape(f.Name))
	}
	b.WriteString("</cpu>\n")
	return b.Bytes()
}

type xmlFeature struct {
	Policy string `xml:"policy,attr"`
	Name   string `xml:"name,attr"`
}

type xmlModel struct {
	Usable     string `xml:"usable,attr"`
	Vendor     string `xml:"vendor,attr"`
	Deprecated string `xml:"deprecated,attr"`
	Canonical  string `xml:"canonical,attr"`
	Fallback   string `xml:"fallback,attr"`
	Name       string `xml:",chardata"`
}

type xmlBlockers struct {
	Model    string       `xml:"model,attr"`
	Features []xmlFeature `xml:"feature"`
}

type xmlMode struct {
	Name      string        `xml:"name,attr"`
	Supported string        `xml:"supported,attr"`
	Models    []xmlModel    `xml:"model"`
	Vendor    string        `xml:"vendor"`
	Features  []xmlFeature  `xml:"feature"`
	Blockers  []xmlBlockers `xml:"blockers"`
}

type xmlDomCaps struct {
	XMLName xml.Name `xml:"domainCapabilities"`
	Path    string   `xml:"path"`
	Domain  string   `xml:"domain"`
	Machine string   `xml:"machine"`
	Arch    string   `xml:"arch"`
	CPU     struct {
		Modes []xmlMode `xml:"mode"`
	} `xml:"cpu"`
}

// ParseDomCaps parses the output of `virsh domcapabilities`. It keeps the
// CPU part: host-model, host-passthrough and the custom-mode models with
// their usability and (newer libvirt) blockers.
func ParseDomCaps(data []byte) (*DomCaps, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("parse domcapabilities: empty input; pass the output of `virsh domcapabilities --virttype kvm`")
	}
	var x xmlDomCaps
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("parse domcapabilities: %w (expected the <domainCapabilities> document printed by `virsh domcapabilities`)", err)
	}
	dc := &DomCaps{
		Emulator: strings.TrimSpace(x.Path),
		Arch:     strings.TrimSpace(x.Arch),
		Machine:  strings.TrimSpace(x.Machine),
		VirtType: strings.TrimSpace(x.Domain),
	}
	for _, mode := range x.CPU.Modes {
		switch mode.Name {
		case "host-passthrough":
			dc.HostPassthrough = mode.Supported == "yes"
		case "host-model":
			dc.HostModel.Supported = mode.Supported == "yes"
			if len(mode.Models) > 0 {
				dc.HostModel.Model = strings.TrimSpace(mode.Models[0].Name)
				dc.HostModel.Fallback = mode.Models[0].Fallback
			}
			dc.HostModel.Vendor = strings.TrimSpace(mode.Vendor)
			for _, f := range mode.Features {
				dc.HostModel.Features = append(dc.HostModel.Features, FeaturePolicy{Name: f.Name, Policy: f.Policy})
			}
		case "custom":
			blockers := make(map[string][]string, len(mode.Blockers))
			for _, b := range mode.Blockers {
				for _, f := range b.Features {
					blockers[b.Model] = append(blockers[b.Model], f.Name)
				}
			}
			for _, m := range mode.Models {
				name := strings.TrimSpace(m.Name)
				usable := m.Usable
				if usable != UsableYes && usable != UsableNo {
					usable = UsableUnknown
				}
				dc.Models = append(dc.Models, ModelUsability{
					Name:       name,
					Usable:     usable,
					Vendor:     m.Vendor,
					Deprecated: m.Deprecated == "yes",
					Canonical:  m.Canonical,
					Blockers:   blockers[name],
				})
			}
		}
	}
	return dc, nil
}

// CPU is a <cpu> element, as printed by `virsh hypervisor-cpu-baseline`.
type CPU struct {
	// Mode is the mode attribute (custom, host-model, ...).
	Mode string `json:"mode,omitempty"`
	// Match is the match attribute (exact, minimum, strict).
	Match string `json:"match,omitempty"`
	// Model is the named model.
	Model string `json:"model,omitempty"`
	// Fallback is the model's fallback attribute.
	Fallback string `json:"fallback,omitempty"`
	// Vendor is the CPU vendor.
	Vendor string `json:"vendor,omitempty"`
	// Features are the explicit features, in document order.
	Features []FeaturePolicy `json:"features,omitempty"`
}

type xmlCPU struct {
	XMLName  xml.Name     `xml:"cpu"`
	Mode     string       `xml:"mode,attr"`
	Match    string       `xml:"match,attr"`
	Model    xmlModel     `xml:"model"`
	Vendor   string       `xml:"vendor"`
	Features []xmlFeature `xml:"feature"`
}

// ParseCPU parses a <cpu> element such as the output of
// `virsh hypervisor-cpu-baseline --features`.
func ParseCPU(data []byte) (*CPU, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("parse cpu: empty input; pass a <cpu> element such as `virsh hypervisor-cpu-baseline --features` prints")
	}
	var x xmlCPU
	if err := xml.Unmarshal(data, &x); err != nil {
		return nil, fmt.Errorf("parse cpu: %w (expected a <cpu> element)", err)
	}
	c := &CPU{
		Mode:     x.Mode,
		Match:    x.Match,
		Model:    strings.TrimSpace(x.Model.Name),
		Fallback: x.Model.Fallback,
		Vendor:   strings.TrimSpace(x.Vendor),
	}
	for _, f := range x.Features {
		c.Features = append(c.Features, FeaturePolicy{Name: f.Name, Policy: f.Policy})
	}
	return c, nil
}

// EnabledFeatures returns the names of the features a guest gets from this
// CPU definition: all policies except disable and forbid, sorted, without
// duplicates.
func (c *CPU) EnabledFeatures() []string {
	seen := make(map[string]bool, len(c.Features))
	out := []string{}
	for _, f := range c.Features {
		if f.Policy == "disable" || f.Policy == "forbid" || f.Name == "" || seen[f.Name] {
			continue
		}
		seen[f.Name] = true
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

// CustomCPUXML builds the guest CPU nova-compute compares at start-up for
// [libvirt] cpu_mode=custom, cpu_models=model, cpu_model_extra_flags=flags:
//
//	<cpu mode='custom' match='exact'>
//	  <model fallback='forbid'>Westmere</model>
//	  <feature policy='require' name='pcid'/>
//	</cpu>
//
// Flags follow Nova's _prepare_cpu_flag: they are trimmed and lower-cased;
// a leading "-" (all leading "-") gives policy disable, otherwise leading "+"
// are stripped and the policy is require. Empty names are skipped. A name is
// kept once, at its first occurrence (Nova keeps the features in a set, so
// with "+f" and "-f" both given its choice is arbitrary; avoid that).
// Names are XML-escaped.
func CustomCPUXML(model string, flags []string) []byte {
	var b bytes.Buffer
	b.WriteString("<cpu mode='custom' match='exact'>\n")
	fmt.Fprintf(&b, "  <model fallback='forbid'>%s</model>\n", escape(model))
	seen := make(map[string]bool, len(flags))
	for _, raw := range flags {
		flag := strings.ToLower(strings.TrimSpace(raw))
		policy := "require"
		if strings.HasPrefix(flag, "-") {
			flag = strings.TrimLeft(flag, "-")
			policy = "disable"
		} else {
			flag = strings.TrimLeft(flag, "+")
		}
		if flag == "" || seen[flag] {
			continue
		}
		seen[flag] = true
		fmt.Fprintf(&b, "  <feature policy='%s' name='%s'/>\n", policy, escape(flag))
	}
	b.WriteString("</cpu>\n")
	return b.Bytes()
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writing to a strings.Builder cannot fail
	return b.String()
}
