package novaconf

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvm-migration/cpuflags/internal/golden"
)

var wantCustom = CPUSettings{Mode: "custom", Models: []string{"Cascadelake-Server-noTSX"}, ExtraFlags: []string{"-hle", "+pcid", "ssbd"}}

// TestSetCPUGolden applies one setting to every realistic input and compares
// the result and its diff with reviewed golden files.
func TestSetCPUGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "in", "*.conf"))
	if err != nil || len(files) < 10 {
		t.Fatalf("inputs: %v %d", err, len(files))
	}
	for _, p := range files {
		name := strings.TrimSuffix(filepath.Base(p), ".conf")
		t.Run(name, func(t *testing.T) {
			in := readIn(t, filepath.Base(p))
			f, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			out, changed, err := f.SetCPU(wantCustom)
			if err != nil {
				t.Fatal(err)
			}
			if !changed {
				t.Fatal("changed = false, every input differs from the wanted setting")
			}
			diff := Diff(filepath.Base(p), in, out)
			golden.Check(t, filepath.Join("testdata", "golden", name+".conf"), out)
			golden.Check(t, filepath.Join("testdata", "golden", name+".diff"), []byte(diff))
			checkInvariants(t, in, out, wantCustom)
			if strings.Contains(diff, secretMarker) {
				t.Errorf("diff leaks a secret:\n%s", diff)
			}
		})
	}
}

// checkInvariants: the output parses, has the wanted effective values, keeps
// every non-managed line byte for byte and is a fixed point of SetCPU.
func checkInvariants(t *testing.T, in, out []byte, want CPUSettings) {
	t.Helper()
	if err := sameUnmanaged(in, out); err != nil {
		t.Errorf("non-managed lines changed: %v", err)
	}
	nf, err := Parse(out)
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	got := nf.CPU()
	if want.Present == nil || want.Present[KeyMode] {
		if got.Mode != want.Mode {
			t.Errorf("effective cpu_mode %q, want %q", got.Mode, want.Mode)
		}
	}
	if want.Present == nil || want.Present[KeyModels] {
		if !cmp.Equal(got.Models, want.Models, cmpEmpty) {
			t.Errorf("effective models %q, want %q", got.Models, want.Models)
		}
	}
	if want.Present == nil || want.Present[KeyExtraFlags] {
		if !cmp.Equal(got.ExtraFlags, want.ExtraFlags, cmpEmpty) {
			t.Errorf("effective flags %q, want %q", got.ExtraFlags, want.ExtraFlags)
		}
	}
	again, changed, err := nf.SetCPU(want)
	if err != nil || changed || !bytes.Equal(again, out) {
		t.Errorf("second SetCPU: changed=%v err=%v, want a no-op", changed, err)
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
})

// unmanagedLines returns every line (content and terminator) that is not part
// of a managed [libvirt] key. A [libvirt] header is skipped when skipHeader.
func unmanagedLines(f *File, skipLibvirtHeaders bool) [][2]string {
	var out [][2]string
	for _, ln := range f.lines {
		if (ln.kind == kindKey || ln.kind == kindCont) && f.managed(ln.entry) {
			continue
		}
		if skipLibvirtHeaders && ln.kind == kindSection && f.sections[ln.section].libvirt {
			continue
		}
		out = append(out, [2]string{string(f.data[ln.start:ln.end]), string(f.data[ln.end:ln.next])})
	}
	return out
}

// sameUnmanaged compares the non-managed lines of in and out byte for byte.
// Allowed: a blank line and a [libvirt] header added when in had no
// [libvirt] section, and a terminator added to a last line that had none.
func sameUnmanaged(in, out []byte) error {
	a, err := Parse(in)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	b, err := Parse(out)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	hadLibvirt := false
	for _, s := range a.sections {
		hadLibvirt = hadLibvirt || s.libvirt
	}
	la := unmanagedLines(a, false)
	lb := unmanagedLines(b, !hadLibvirt)
	if !hadLibvirt && len(lb) == len(la)+1 && lb[len(lb)-1][0] == "" {
		lb = lb[:len(lb)-1] // blank separator line before the new section
	}
	if len(la) != len(lb) {
		return fmt.Errorf("%d non-managed lines before, %d after", len(la), len(lb))
	}
	for i := range la {
		if la[i][0] != lb[i][0] {
			return fmt.Errorf("non-managed line %d content differs", i+1)
		}
		if la[i][1] != lb[i][1] && !(i == len(la)-1 && la[i][1] == "") {
			return fmt.Errorf("non-managed line %d terminator differs", i+1)
		}
	}
	return nil
}

// TestSetCPUCases checks specific edits against hand-written expectations.
func TestSetCPUCases(t *testing.T) {
	pm := func(kv ...any) map[string]bool {
		m := map[string]bool{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(bool)
		}
		return m
	}
	tests := []struct {
		name, in, reason string
		want             CPUSettings
		out              string
		changed          bool
	}{
		{
			name: "already equal", reason: "same effective values in another format change nothing",
			in:   "[libvirt]\ncpu_mode = \"custom\"\ncpu_models = A ,B\ncpu_model_extra_flags = -x,  +y\n",
			want: CPUSettings{Mode: "custom", Models: []string{"A", "B"}, ExtraFlags: []string{"-x", "+y"}},
			out:  "[libvirt]\ncpu_mode = \"custom\"\ncpu_models = A ,B\ncpu_model_extra_flags = -x,  +y\n",
		},
		{
			name: "legacy spelling kept", reason: "cpu_model stays cpu_model, no second spelling",
			in:   "[libvirt]\ncpu_mode=custom\ncpu_model=IvyBridge\n",
			want: CPUSettings{Mode: "custom", Models: []string{"Haswell"}, ExtraFlags: []string{}},
			out:  "[libvirt]\ncpu_mode=custom\ncpu_model=Haswell\ncpu_model_extra_flags =\n", changed: true,
		},
		{
			name: "legacy spelling requested", reason: "ModelsKey picks the spelling of an added key (pre-Train nova)",
			in:   "[libvirt]\nvirt_type = kvm\n",
			want: CPUSettings{Mode: "custom", Models: []string{"Haswell"}, ModelsKey: KeyModelLegacy, Present: pm(KeyMode, true, KeyModels, true)},
			out:  "[libvirt]\ncpu_mode = custom\ncpu_model = Haswell\nvirt_type = kvm\n", changed: true,
		},
		{
			name: "both spellings", reason: "cpu_model lines are dropped when cpu_models exists",
			in:   "[libvirt]\ncpu_model = A\ncpu_mode = custom\ncpu_models = B\n",
			want: CPUSettings{Mode: "custom", Models: []string{"C"}, Present: pm(KeyModels, true)},
			out:  "[libvirt]\ncpu_mode = custom\ncpu_models = C\n", changed: true,
		},
		{
			name: "duplicates removed", reason: "the last occurrence is rewritten, earlier ones removed, across [libvirt]/[LIBVIRT]",
			in:   "[libvirt]\ncpu_mode = none\n[x]\na = 1\n[LIBVIRT]\ncpu_mode = host-model\n",
			want: CPUSettings{Mode: "host-passthrough", Present: pm(KeyMode, true)},
			out:  "[libvirt]\n[x]\na = 1\n[LIBVIRT]\ncpu_mode = host-passthrough\n", changed: true,
		},
		{
			name: "remove", reason: "Present false removes every occurrence including continuation lines",
			in:   "[libvirt]\ncpu_mode = host-model\ncpu_model_extra_flags = a,\n  b\nvirt_type = kvm\n",
			want: CPUSettings{Present: pm(KeyExtraFlags, false)},
			out:  "[libvirt]\ncpu_mode = host-model\nvirt_type = kvm\n", changed: true,
		},
		{
			name: "untouched keys", reason: "keys absent from Present stay as they are",
			in:   "[libvirt]\ncpu_mode = custom\ncpu_models = A\ncpu_model_extra_flags = a\n",
			want: CPUSettings{ExtraFlags: []string{"b"}, Present: pm(KeyExtraFlags, true)},
			out:  "[libvirt]\ncpu_mode = custom\ncpu_models = A\ncpu_model_extra_flags = b\n", changed: true,
		},
		{
			name: "empty file", reason: "a new [libvirt] section is created",
			in:   "",
			want: CPUSettings{Mode: "host-model", Present: pm(KeyMode, true)},
			out:  "[libvirt]\ncpu_mode = host-model\n", changed: true,
		},
		{
			name: "header at EOF", reason: "a [libvirt] header without newline gets one before the new keys",
			in:   "[DEFAULT]\nx = 1\n[libvirt]",
			want: CPUSettings{Mode: "none", Present: pm(KeyMode, true)},
			out:  "[DEFAULT]\nx = 1\n[libvirt]\ncpu_mode = none\n", changed: true,
		},
		{
			name: "CRLF kept", reason: "new lines use the file's CRLF, replaced lines keep theirs",
			in:   "[libvirt]\r\ncpu_mode = none\r\n",
			want: CPUSettings{Mode: "custom", Models: []string{"A"}, Present: pm(KeyMode, true, KeyModels, true)},
			out:  "[libvirt]\r\ncpu_mode = custom\r\ncpu_models = A\r\n", changed: true,
		},
		{
			name: "colon and tabs kept", reason: "the key line keeps its separator and spacing",
			in:   "[libvirt]\ncpu_mode\t:\thost-model\n",
			want: CPUSettings{Mode: "none", Present: pm(KeyMode, true)},
			out:  "[libvirt]\ncpu_mode\t:\tnone\n", changed: true,
		},
		{
			name: "empty list written", reason: "an empty list is written without a trailing space",
			in:   "[libvirt]\ncpu_model_extra_flags = a\n",
			want: CPUSettings{ExtraFlags: nil, Present: pm(KeyExtraFlags, true)},
			out:  "[libvirt]\ncpu_model_extra_flags =\n", changed: true,
		},
		{
			name: "mixed case key is not ours", reason: "CPU_MODE is another key for oslo and stays; cpu_mode is added",
			in:   "[libvirt]\nCPU_MODE = custom\n",
			want: CPUSettings{Mode: "none", Present: pm(KeyMode, true)},
			out:  "[libvirt]\ncpu_mode = none\nCPU_MODE = custom\n", changed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			out, changed, err := f.SetCPU(tt.want)
			if err != nil {
				t.Fatalf("SetCPU: %v (%s)", err, tt.reason)
			}
			if changed != tt.changed {
				t.Errorf("changed = %v, want %v (%s)", changed, tt.changed, tt.reason)
			}
			if string(out) != tt.out {
				t.Errorf("%s:\n got %q\nwant %q", tt.reason, out, tt.out)
			}
			checkInvariants(t, []byte(tt.in), out, tt.want)
		})
	}
}

func TestSetCPUInvalid(t *testing.T) {
	tests := []struct {
		name, reason string
		want         CPUSettings
	}{
		{"bad mode", "not a nova choice", CPUSettings{Mode: "Custom", Models: []string{"A"}}},
		{"empty mode", "use Present false to remove", CPUSettings{Present: map[string]bool{KeyMode: true}}},
		{"custom without model", "nova refuses custom without a model", CPUSettings{Mode: "custom"}},
		{"models without custom", "nova refuses models unless custom", CPUSettings{Mode: "host-model", Models: []string{"A"}}},
		{"comma in model", "would split into two", CPUSettings{Mode: "custom", Models: []string{"A,B"}}},
		{"newline in flag", "would break the file", CPUSettings{Mode: "custom", Models: []string{"A"}, ExtraFlags: []string{"a\nb"}}},
		{"unknown present key", "typo guard", CPUSettings{Present: map[string]bool{"cpu_flags": true}}},
		{"bad ModelsKey", "only the two spellings", CPUSettings{Mode: "custom", Models: []string{"A"}, ModelsKey: "model"}},
	}
	f, err := Parse(readIn(t, "kolla.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.SetCPU(tt.want)
			if !errors.Is(err, ErrInvalidSettings) {
				t.Errorf("err = %v, want ErrInvalidSettings (%s)", err, tt.reason)
			}
			if err != nil && strings.Contains(err.Error(), secretMarker) {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

// TestDiffRedacts feeds Diff files that change secret lines directly.
func TestDiffRedacts(t *testing.T) {
	before := []byte("[database]\nconnection = mysql://nova:s3cr3t-one@db/nova\n# password = s3cr3t-comment\n[libvirt]\ncpu_mode = none\n  \n")
	after := []byte("[database]\nconnection = mysql://nova:s3cr3t-two@db/nova\n# password = s3cr3t-comment2\n[libvirt]\ncpu_mode = custom\n")
	d := Diff("nova.conf", before, after)
	if strings.Contains(d, secretMarker) {
		t.Fatalf("diff leaks:\n%s", d)
	}
	for _, want := range []string{"-<hidden line 2>", "+<hidden line 2>", "-cpu_mode = none", "+cpu_mode = custom", "[libvirt]"} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}
	// unparsable side: nothing shown
	bad := []byte("[database]\npassword s3cr3t-broken\n")
	d = Diff("nova.conf", before, bad)
	if strings.Contains(d, secretMarker) || !strings.Contains(d, "does not parse") {
		t.Errorf("diff with unparsable side:\n%s", d)
	}
	if Diff("x", before, before) != "" {
		t.Error("equal inputs must give an empty diff")
	}
}

// TestSecretsNeverLeak runs every output path over a file full of secrets.
func TestSecretsNeverLeak(t *testing.T) {
	var b strings.Builder
	b.WriteString("[DEFAULT]\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "password = s3cr3t%03d\n#password = s3cr3t-old%03d\n", i, i)
	}
	b.WriteString("[libvirt]\npassword: s3cr3t-libvirt\ncpu_mode = host-model\nrbd_secret_uuid = \"s3cr3t-uuid\"\n  s3cr3t-continued\n[database]\nconnection = mysql://u:s3cr3t-db@h/nova\n")
	in := []byte(b.String())
	f, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := f.SetCPU(wantCustom)
	if err != nil {
		t.Fatal(err)
	}
	var outputs []string
	outputs = append(outputs, Diff("nova.conf", in, out), Diff("nova.conf", out, in), strings.Join(f.Warnings(), "\n"))
	// every truncation of the file is either valid or a clean error
	for i := 0; i <= len(in); i += 7 {
		for _, mut := range [][]byte{in[:i], append(append([]byte{}, in[:i]...), "\n  x\n[bad"...)} {
			mf, err := Parse(mut)
			if err != nil {
				outputs = append(outputs, err.Error())
				continue
			}
			o, _, err := mf.SetCPU(wantCustom)
			if err != nil {
				outputs = append(outputs, err.Error())
				continue
			}
			outputs = append(outputs, Diff("nova.conf", mut, o))
		}
	}
	_, _, err = f.SetCPU(CPUSettings{Mode: "bogus"})
	outputs = append(outputs, err.Error())
	for _, o := range outputs {
		if strings.Contains(o, secretMarker) {
			t.Fatalf("output leaks a secret:\n%s", o)
		}
	}
}

func TestValue(t *testing.T) {
	f, err := Parse([]byte("[libvirt]\nvirt_type = qemu\n[DEFAULT]\nhost = a\n[LIBVIRT]\nvirt_type = kvm\nVIRT_TYPE = xen\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		section, key, want string
		found              bool
		reason             string
	}{
		{"libvirt", "virt_type", "kvm", true, "[libvirt] and [LIBVIRT] merge; the last occurrence wins"},
		{"LibVirt", "virt_type", "kvm", true, "the section name is normalized as oslo does"},
		{"DEFAULT", "host", "a", true, "DEFAULT keeps its case"},
		{"default", "host", "", false, "only DEFAULT is the default section"},
		{"libvirt", "Virt_Type", "", false, "keys are case-sensitive"},
		{"workarounds", "virt_type", "", false, "absent section"},
	}
	for _, tt := range tests {
		got, found := f.Value(tt.section, tt.key)
		if got != tt.want || found != tt.found {
			t.Errorf("Value(%q, %q) = %q, %v; want %q, %v (%s)", tt.section, tt.key, got, found, tt.want, tt.found, tt.reason)
		}
	}
}
