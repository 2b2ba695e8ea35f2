package hostcpu

import (
	"context"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
)

// Disabling is a CPU model of the host's vendor that the installed Nova's
// start-up check refuses whole here and accepts with a few of its features
// disabled (policy='disable'), as libvirt's baseline runs a model of the
// hosts' own vendor: on an AMD host without SVM, EPYC with svm disabled.
type Disabling struct {
	Model string `json:"model"`
	// Disabled are the features libvirt named as missing for the model whole.
	Disabled []string `json:"disabled"`
	// WholeSaid is libvirt's refusal of the model whole.
	WholeSaid string `json:"whole_said"`
	// Said is libvirt's answer with Disabled disabled.
	Said string `json:"said"`
}

// maxDisabled bounds the features a Disabling may disable: a model lacking
// more is not the same-vendor model a cluster would pick.
const maxDisabled = 4

// missingMarker starts libvirt's list of what the host lacks
// (virCPUx86Compare: "Host CPU does not provide required features: a, b").
const missingMarker = "does not provide required features: "

// FindDisabling asks the host's libvirt, the way the installed Nova asks at
// start-up (h.Check), about every CPU model of the host's vendor that
// `virsh domcapabilities` lists: refused whole, libvirt names what is
// missing; that list disabled, it must be accepted. It returns the model
// missing the fewest features (then by name), or nil when every model of
// the vendor runs whole here or none runs with at most maxDisabled disabled.
// Like Derive it does not use the code under test.
func FindDisabling(ctx context.Context, o Options, h *Host) (*Disabling, error) {
	cleanup, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	verb := verbOf(h.Check)
	models, err := vendorModels(ctx, o, h.Vendor)
	if err != nil {
		return nil, err
	}
	var found []Disabling
	for _, m := range models {
		ok, said, err := compareCPU(ctx, o, verb, "whole-"+m+".xml", m, nil, nil)
		if err != nil {
			return nil, err
		}
		i := strings.Index(said, missingMarker)
		if ok || i < 0 {
			continue
		}
		var missing []string
		for _, f := range strings.Split(said[i+len(missingMarker):], ",") {
			if f = strings.TrimSpace(f); f != "" {
				missing = append(missing, f)
			}
		}
		if len(missing) == 0 || len(missing) > maxDisabled {
			continue
		}
		ok, with, err := compareCPU(ctx, o, verb, "disabled-"+m+".xml", m, nil, missing)
		if err != nil {
			return nil, err
		}
		if ok {
			found = append(found, Disabling{Model: m, Disabled: missing, WholeSaid: said, Said: with})
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	sort.SliceStable(found, func(i, j int) bool {
		if len(found[i].Disabled) != len(found[j].Disabled) {
			return len(found[i].Disabled) < len(found[j].Disabled)
		}
		return found[i].Model < found[j].Model
	})
	return &found[0], nil
}

// vendorModels lists the custom-mode models `virsh domcapabilities` says
// are the vendor's (its vendor attribute, libvirt 8.9 and later), sorted.
func vendorModels(ctx context.Context, o Options, vendor string) ([]string, error) {
	out, errb, code, err := o.Run(ctx, virsh(o.URI, "domcapabilities")...)
	if err != nil || code != 0 {
		return nil, fmt.Errorf("hostcpu: virsh domcapabilities: exit %d %v: %s", code, err, strings.TrimSpace(string(errb)))
	}
	var caps struct {
		Modes []struct {
			Name   string `xml:"name,attr"`
			Models []struct {
				Vendor string `xml:"vendor,attr"`
				Name   string `xml:",chardata"`
			} `xml:"model"`
		} `xml:"cpu>mode"`
	}
	if err := xml.Unmarshal(out, &caps); err != nil {
		return nil, fmt.Errorf("hostcpu: virsh domcapabilities: %w", err)
	}
	var names []string
	for _, m := range caps.Modes {
		if m.Name != "custom" {
			continue
		}
		for _, mod := range m.Models {
			if mod.Vendor == vendor || (vendor == "AMD" && mod.Vendor == "Hygon") {
				names = append(names, strings.TrimSpace(mod.Name))
			}
		}
	}
	sort.Strings(names)
	return names, nil
}
