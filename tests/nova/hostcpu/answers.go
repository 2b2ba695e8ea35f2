package hostcpu

import (
	"fmt"
	"slices"
	"sort"
)

// Given returns every candidate's given name, in order.
func (h *Host) Given() []string {
	out := make([]string, 0, len(h.Answers))
	for _, a := range h.Answers {
		out = append(out, a.Given)
	}
	return out
}

// Accepted returns the libvirt names of the accepted candidates in candidate order.
func (h *Host) Accepted() []string {
	var out []string
	for _, a := range h.Answers {
		if a.Accepted {
			out = append(out, a.Key())
		}
	}
	return out
}

// AcceptedOf returns the accepted ones among the given names, as libvirt names, in order.
func (h *Host) AcceptedOf(given ...string) []string {
	var out []string
	for _, a := range h.Answers {
		if a.Accepted && slices.Contains(given, a.Given) {
			out = append(out, a.Key())
		}
	}
	return out
}

// Refused maps the key of every refused candidate to libvirt's words.
func (h *Host) Refused() map[string]string {
	out := map[string]string{}
	for _, a := range h.Answers {
		if !a.Accepted {
			out[a.Key()] = a.Said
		}
	}
	return out
}

// NeverHere returns the keys of the candidates no host like this one can
// have (other vendor's features), in candidate order.
func (h *Host) NeverHere() []string {
	var out []string
	for _, a := range h.Answers {
		if a.Kind == KindOtherVendor {
			out = append(out, a.Key())
		}
	}
	return out
}

// MustRefuse returns the keys of every candidate refused whatever the host's
// CPU (other vendor, Linux-only, unknown), in candidate order.
func (h *Host) MustRefuse() []string {
	var out []string
	for _, a := range h.Answers {
		if a.Kind != KindHost {
			out = append(out, a.Key())
		}
	}
	return out
}

// Lines renders the derivation for a log, one line per answer.
func (h *Host) Lines() []string {
	lines := []string{fmt.Sprintf("host: %s CPU, Nova %s (%s) checks with %s: `%s`; base model %s: %s",
		h.Vendor, h.NovaVersion, h.NovaSource, h.Check, h.Command, h.Model, h.ModelSaid)}
	as := slices.Clone(h.Answers)
	sort.SliceStable(as, func(i, j int) bool { return as[i].Accepted && !as[j].Accepted })
	for _, a := range as {
		verdict := "refuse"
		if a.Accepted {
			verdict = "accept"
		}
		name := a.Given
		if a.Key() != a.Given {
			name += " (libvirt " + a.Key() + ")"
		}
		lines = append(lines, fmt.Sprintf("host answer: %s+%s -> expect %s [%s]: %s", h.Model, name, verdict, a.Kind, a.Said))
	}
	return lines
}
