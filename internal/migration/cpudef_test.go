package migration

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCPUDef(t *testing.T) {
	tests := []struct {
		name, in string
		want     cpuDef
		wantErr  bool
		reason   string
	}{
		{"plus-minus", "Westmere,+aes,-pcid", cpuDef{"Westmere", map[string]any{"aes": true, "pcid": false}}, false, "the nova.conf style"},
		{"key-value", "Haswell-noTSX,pcid=off,avx2=on,family=6,model-id=x", cpuDef{"Haswell-noTSX", map[string]any{"pcid": false, "avx2": true, "family": int64(6), "model-id": "x"}}, false, "QEMU's key=value form"},
		{"enforce-dropped", "qemu64,-pni,enforce", cpuDef{"qemu64", map[string]any{"pni": false}}, false, "enforce is added by LiveMigrate"},
		{"bare-key", "Westmere,aes", cpuDef{"Westmere", map[string]any{"aes": true}}, false, "a bare key turns the feature on"},
		{"empty", "", cpuDef{}, true, "no model"},
		{"flag-first", "+aes", cpuDef{}, true, "a flag is not a model"},
		{"bad-item", "Westmere,+", cpuDef{}, true, "an empty feature name"},
		{"space", "Westmere,+a b", cpuDef{}, true, "spaces are not in feature names"},
	}
	for _, tt := range tests {
		got, err := parseCPUDef(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, wantErr %v (%s)", tt.name, err, tt.wantErr, tt.reason)
			continue
		}
		if !tt.wantErr {
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s: -want +got:\n%s(%s)", tt.name, d, tt.reason)
			}
		}
	}
}

func TestLackedFlags(t *testing.T) {
	tests := []struct {
		name     string
		src, dst map[string]any
		want     []string
		reason   string
	}{
		{"same", map[string]any{"aes": true, "sse4.1": true}, map[string]any{"aes": true, "sse4.1": true}, nil, "equal definitions lack nothing"},
		{"aes", map[string]any{"aes": true, "family": 6}, map[string]any{"aes": false, "family": 6}, []string{"aes"}, "one flag off on the target"},
		{"aliases", map[string]any{"sse4.1": true, "sse4-1": true, "sse4_1": true, "pclmulqdq": true, "pclmuldq": true, "pni": true, "sse3": true},
			map[string]any{}, []string{"pclmulqdq", "pni", "sse4.1"}, "aliases are named once, by QEMU's main spelling"},
		{"not-cpuid", map[string]any{"vmware-cpuid-freq": true, "legacy-cache": true, "x-intel-pt-auto-level": true}, map[string]any{}, nil, "QEMU knobs that are not guest flags"},
		{"target-more", map[string]any{}, map[string]any{"avx2": true}, nil, "a target with more flags is fine"},
	}
	for _, tt := range tests {
		if got := lackedFlags(tt.src, tt.dst); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}

func TestLackedBits(t *testing.T) {
	zero := uint32(0)
	src := []featureWord{{EAX: 1, Register: "ECX", Features: 1<<25 | 1<<0}, {EAX: 7, ECX: &zero, Register: "EBX", Features: 1 << 5}}
	dst := []featureWord{{EAX: 1, Register: "ECX", Features: 1 << 0}, {EAX: 7, ECX: &zero, Register: "EBX", Features: 1 << 5}}
	want := []string{"CPUID.01H:ECX[bit 25]"}
	if got := lackedBits(src, dst); !slices.Equal(got, want) {
		t.Errorf("lackedBits = %v, want %v (aes is ECX bit 25 of leaf 1)", got, want)
	}
	if got := lackedBits(dst, src); len(got) != 0 {
		t.Errorf("lackedBits(reverse) = %v, want none (the target has more)", got)
	}
}

func TestQEMUWords(t *testing.T) {
	in := "qemu-system-x86_64: warning: TCG doesn't support requested feature: CPUID.01H:ECX.pcid [bit 17]\nqemu-system-x86_64: TCG doesn't support requested features\n"
	want := "TCG doesn't support requested feature: CPUID.01H:ECX.pcid [bit 17]; TCG doesn't support requested features"
	if got := qemuWords(in, "/usr/bin/qemu-system-x86_64"); got != want {
		t.Errorf("qemuWords = %q, want %q", got, want)
	}
}

func FuzzParseCPUDef(f *testing.F) {
	for _, s := range []string{"Westmere,+aes", "qemu64,-pni,enforce", "Haswell,pcid=off,family=6", "", ",,", "a,=", "a,b=0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseCPUDef(s)
		if err != nil {
			return
		}
		if d.Model == "" || !modelRe.MatchString(d.Model) {
			t.Fatalf("accepted %q with model %q", s, d.Model)
		}
		for k := range d.Props {
			if !propRe.MatchString(k) {
				t.Fatalf("accepted %q with property %q", s, k)
			}
		}
	})
}
