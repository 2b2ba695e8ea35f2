package novaconf

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Valid cpu_mode values (nova.conf.libvirt cpu_mode choices).
var ModeChoices = []string{"host-model", "host-passthrough", "custom", "none"}

// CPUSettings are the [libvirt] CPU options of nova.
type CPUSettings struct {
	Mode       string   // cpu_mode
	Models     []string // cpu_models (or cpu_model), oslo ListOpt items
	ExtraFlags []string // cpu_model_extra_flags, items as written (+flag, -flag, flag)
	// ModelsKey is "cpu_models" or "cpu_model": the spelling that supplied
	// Models (CPU), or the spelling to use when SetCPU has to add the key and
	// the file has neither (SetCPU; "" means cpu_models).
	ModelsKey string
	// Present tells which options are set. CPU fills it with "cpu_mode",
	// "cpu_models" (either spelling), "cpu_model_extra_flags" and, when the
	// deprecated spelling occurs, "cpu_model".
	//
	// For SetCPU: nil manages all three options; otherwise an option whose
	// key maps to true is set, one that maps to false is removed (nova then
	// uses its default), and one that is absent is left alone. "cpu_model"
	// is accepted as an alias of "cpu_models".
	Present map[string]bool
}

// CPU returns the effective [libvirt] CPU settings of this file with oslo
// semantics: all [libvirt] sections (any case) merge, the last occurrence of
// a key wins, and cpu_models wins over cpu_model within the file.
func (f *File) CPU() CPUSettings {
	s := CPUSettings{Present: map[string]bool{}}
	last := map[string]int{}
	for i := range f.entries {
		if f.managed(i) {
			last[f.entries[i].key] = i
		}
	}
	if i, ok := last[KeyMode]; ok {
		s.Mode = f.entries[i].value
		s.Present[KeyMode] = true
	}
	if i, ok := last[KeyModels]; ok {
		s.Models, s.ModelsKey = SplitList(f.entries[i].value), KeyModels
	} else if i, ok := last[KeyModelLegacy]; ok {
		s.Models, s.ModelsKey = SplitList(f.entries[i].value), KeyModelLegacy
	}
	if s.ModelsKey != "" {
		s.Present[KeyModels] = true
	}
	if _, ok := last[KeyModelLegacy]; ok {
		s.Present[KeyModelLegacy] = true
	}
	if i, ok := last[KeyExtraFlags]; ok {
		s.ExtraFlags = SplitList(f.entries[i].value)
		s.Present[KeyExtraFlags] = true
	}
	return s
}

var (
	modelRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	flagRe  = regexp.MustCompile(`^[+-]?[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// ErrInvalidSettings is wrapped by SetCPU errors about the wanted settings.
var ErrInvalidSettings = errors.New("invalid CPU settings")

// plan is what SetCPU does with one option.
type plan struct {
	set   bool   // false: remove
	value string // rendered value
	equal func(string) bool
}

func (want CPUSettings) plans() (map[string]plan, error) {
	manage := map[string]bool{}
	if want.Present == nil {
		manage = map[string]bool{KeyMode: true, KeyModels: true, KeyExtraFlags: true}
	} else {
		for k, v := range want.Present {
			switch k {
			case KeyMode, KeyModels, KeyExtraFlags:
				manage[k] = v
			case KeyModelLegacy:
				if _, ok := want.Present[KeyModels]; !ok {
					manage[KeyModels] = v
				}
			default:
				return nil, fmt.Errorf("%w: Present names unknown option %q; use %s, %s or %s", ErrInvalidSettings, k, KeyMode, KeyModels, KeyExtraFlags)
			}
		}
	}
	switch want.ModelsKey {
	case "", KeyModels, KeyModelLegacy:
	default:
		return nil, fmt.Errorf("%w: ModelsKey %q must be %q or %q", ErrInvalidSettings, want.ModelsKey, KeyModels, KeyModelLegacy)
	}
	p := map[string]plan{}
	if set, ok := manage[KeyMode]; ok {
		if set && !slices.Contains(ModeChoices, want.Mode) {
			return nil, fmt.Errorf("%w: cpu_mode %q is not one of %s (set Present[%q]=false to remove the option)", ErrInvalidSettings, want.Mode, strings.Join(ModeChoices, ", "), KeyMode)
		}
		mode := want.Mode
		p[KeyMode] = plan{set: set, value: mode, equal: func(v string) bool { return v == mode }}
	}
	if set, ok := manage[KeyModels]; ok {
		if set {
			for _, m := range want.Models {
				if !modelRe.MatchString(m) {
					return nil, fmt.Errorf("%w: CPU model %q: use a libvirt model name (letters, digits, '-', '_', '.')", ErrInvalidSettings, m)
				}
			}
		}
		p[KeyModels] = listPlan(set, want.Models)
	}
	if set, ok := manage[KeyExtraFlags]; ok {
		if set {
			for _, fl := range want.ExtraFlags {
				if !flagRe.MatchString(fl) {
					return nil, fmt.Errorf("%w: CPU flag %q: use a libvirt feature name with an optional + or - prefix", ErrInvalidSettings, fl)
				}
			}
		}
		p[KeyExtraFlags] = listPlan(set, want.ExtraFlags)
	}
	return p, nil
}

func listPlan(set bool, items []string) plan {
	items = slices.Clone(items)
	if items == nil {
		items = []string{}
	}
	return plan{set: set, value: strings.Join(items, ","), equal: func(v string) bool { return slices.Equal(SplitList(v), items) }}
}

// edit collects line-level changes to a File.
type edit struct {
	replace map[int]string // line index → new line text (without terminator)
	drop    map[int]bool   // line indices removed
	after   int            // insert new lines after this line index; -1: at end of file
	insert  []string       // new lines (without terminators)
	header  bool           // insert a [libvirt] header before insert (at end of file)
}

// SetCPU returns the file content with the wanted [libvirt] CPU options and
// whether it differs from the original. Only lines of the managed options
// (and, when there is no [libvirt] section, a new header) change:
//   - an option already set keeps the position (and, when its value already
//     matches, the exact bytes) of its effective occurrence; other
//     occurrences of it in any [libvirt] section are removed so that the
//     written value is the effective one;
//   - the models option keeps the spelling the file uses (cpu_model stays
//     cpu_model; when both spellings occur, cpu_model lines are removed as
//     cpu_models already overrides them);
//   - missing options are added after the last kept managed option, else
//     right after the last [libvirt] header, else in a new [libvirt] section
//     at the end of the file.
//
// SetCPU is idempotent: applying it to its own output changes nothing.
func (f *File) SetCPU(want CPUSettings) ([]byte, bool, error) {
	plans, err := want.plans()
	if err != nil {
		return nil, false, fmt.Errorf("set [libvirt] CPU options: %w", err)
	}
	if mode, ok := plans[KeyMode]; ok && mode.set {
		models := f.CPU().Models
		if mp, ok := plans[KeyModels]; ok {
			models = nil
			if mp.set {
				models = want.Models
			}
		}
		if want.Mode == "custom" && len(models) == 0 {
			return nil, false, fmt.Errorf("set [libvirt] CPU options: %w: cpu_mode=custom needs at least one model in cpu_models", ErrInvalidSettings)
		}
		if want.Mode != "custom" && len(models) > 0 {
			return nil, false, fmt.Errorf("set [libvirt] CPU options: %w: cpu_models must be empty unless cpu_mode=custom (nova refuses to start otherwise); remove cpu_models with Present[%q]=false", ErrInvalidSettings, KeyModels)
		}
	}

	ed := edit{replace: map[int]string{}, drop: map[int]bool{}, after: -1}
	// occurrences per option, in file order
	occ := map[string][]int{}
	hasModels := false
	for i := range f.entries {
		if f.managed(i) {
			k := canonical(f.entries[i].key)
			occ[k] = append(occ[k], i)
			if f.entries[i].key == KeyModels {
				hasModels = true
			}
		}
	}
	lastKept := -1 // entry index of the last kept managed occurrence
	var missing []string
	for _, k := range []string{KeyMode, KeyModels, KeyExtraFlags} {
		p, ok := plans[k]
		if !ok {
			for _, i := range occ[k] {
				lastKept = max(lastKept, i)
			}
			continue
		}
		keep := -1
		if p.set {
			for _, i := range occ[k] {
				if k == KeyModels && hasModels && f.entries[i].key != KeyModels {
					continue
				}
				keep = i
			}
		}
		for _, i := range occ[k] {
			if i != keep {
				f.dropEntry(&ed, i)
			}
		}
		if !p.set {
			continue
		}
		if keep < 0 {
			key := k
			if k == KeyModels && want.ModelsKey == KeyModelLegacy {
				key = KeyModelLegacy
			}
			missing = append(missing, render(key, p.value))
			continue
		}
		lastKept = max(lastKept, keep)
		e := &f.entries[keep]
		if !p.equal(e.value) {
			ed.replace[e.first] = f.renderLike(e, p.value)
			for l := e.first + 1; l <= e.last; l++ {
				ed.drop[l] = true
			}
		}
	}
	if len(missing) > 0 {
		ed.insert = missing
		switch {
		case lastKept >= 0:
			ed.after = f.entries[lastKept].last
		default:
			ed.after = -1
			for _, s := range f.sections {
				if s.libvirt {
					ed.after = s.line
				}
			}
			ed.header = ed.after < 0
		}
	}
	out := f.apply(&ed)
	changed := string(out) != string(f.data)
	if changed {
		if err := f.verify(out, plans); err != nil {
			return nil, false, err
		}
	}
	return out, changed, nil
}

func (f *File) dropEntry(ed *edit, i int) {
	e := &f.entries[i]
	for l := e.first; l <= e.last; l++ {
		ed.drop[l] = true
	}
}

func render(key, value string) string {
	if value == "" {
		return key + " ="
	}
	return key + " = " + value
}

// renderLike writes key and value keeping the key line's own spelling of the
// key, separator and spacing.
func (f *File) renderLike(e *entry, value string) string {
	ln := f.lines[e.first]
	var prefix string
	if pyStrip(string(f.data[e.sepEnd:ln.end])) != "" {
		prefix = string(f.data[ln.start:e.valueStart])
	} else {
		prefix = string(f.data[ln.start:e.sepEnd])
		if r, _ := utf8.DecodeLastRune(f.data[ln.start:e.keyEnd]); pyIsSpace(r) {
			prefix += " "
		}
	}
	if value == "" {
		return pyRStrip(prefix)
	}
	return prefix + value
}

// apply renders the edit.
func (f *File) apply(ed *edit) []byte {
	var b strings.Builder
	b.Grow(len(f.data) + 256)
	endsWithEOL := true
	emitInsert := func() {
		if b.Len() > 0 && !endsWithEOL {
			b.WriteString(f.eol)
		}
		if ed.header {
			if b.Len() > 0 && !f.lastLineBlank() {
				b.WriteString(f.eol)
			}
			b.WriteString("[" + sectionLibvirt + "]" + f.eol)
		}
		for _, s := range ed.insert {
			b.WriteString(s)
			b.WriteString(f.eol)
		}
		endsWithEOL = true
	}
	for i, ln := range f.lines {
		if !ed.drop[i] {
			if r, ok := ed.replace[i]; ok {
				b.WriteString(r)
				b.Write(f.data[ln.end:ln.next])
				endsWithEOL = ln.next > ln.end
			} else {
				b.Write(f.data[ln.start:ln.next])
				endsWithEOL = ln.next > ln.end
			}
		}
		if len(ed.insert) > 0 && ed.after == i {
			emitInsert()
		}
	}
	if len(ed.insert) > 0 && ed.after < 0 {
		emitInsert()
	}
	return []byte(b.String())
}

func (f *File) lastLineBlank() bool {
	if len(f.lines) == 0 {
		return true
	}
	return f.lines[len(f.lines)-1].kind == kindBlank
}

// verify re-parses out and checks that the wanted options are effective.
func (f *File) verify(out []byte, plans map[string]plan) error {
	nf, err := Parse(out)
	if err != nil {
		return fmt.Errorf("set [libvirt] CPU options: internal error: the edited file does not parse (%w); nothing was written", err)
	}
	got := nf.CPU()
	for k, p := range plans {
		if p.set != got.Present[k] {
			return fmt.Errorf("set [libvirt] CPU options: internal error: %s presence is not as wanted after the edit; nothing was written", k)
		}
		if !p.set {
			continue
		}
		var v string
		switch k {
		case KeyMode:
			v = got.Mode
		case KeyModels:
			v = strings.Join(got.Models, ",")
		case KeyExtraFlags:
			v = strings.Join(got.ExtraFlags, ",")
		}
		if !p.equal(v) {
			return fmt.Errorf("set [libvirt] CPU options: internal error: %s is not the wanted value after the edit; nothing was written", k)
		}
	}
	return nil
}

// Value returns the effective value of key in section, with oslo semantics:
// every section whose name normalizes to section merges and the last
// occurrence wins. Keys are case-sensitive, as in oslo.
func (f *File) Value(section, key string) (string, bool) {
	want := normalizeSection(section)
	value, found := "", false
	for i := range f.entries {
		e := &f.entries[i]
		if e.key == key && normalizeSection(f.sections[e.section].name) == want {
			value, found = e.value, true
		}
	}
	return value, found
}
