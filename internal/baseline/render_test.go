package baseline

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// TestQEMUNamesMatchReference derives, from the reference name map, every
// libvirt feature whose QEMU name differs, and compares with qemuNames. The
// vmx-* rows are left out: the reference join pairs two different VMX
// capability bits there (invvpid/invept), and libvirt and QEMU spell vmx-*
// names alike.
func TestQEMUNamesMatchReference(t *testing.T) {
	data, err := os.ReadFile(refdata.Path(t, "name_map.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i, ln := range strings.Split(string(data), "\n") {
		c := strings.Split(ln, "\t")
		if i == 0 || len(c) < 3 || c[1] == "" || c[2] == "" || c[1] == c[2] || strings.HasPrefix(c[2], "vmx-") {
			continue
		}
		want[c[2]] = c[1]
	}
	if !cmp.Equal(qemuNames, want) {
		t.Fatalf("qemuNames is stale (-want +got):\n%s", cmp.Diff(want, qemuNames))
	}
}

func TestRender(t *testing.T) {
	extra := []string{"pclmuldq", "avx2", "tsc-deadline"}
	tests := []struct{ name, got, want, reason string }{
		{"nova", NovaConf("Westmere", extra),
			"[libvirt]\ncpu_mode = custom\ncpu_models = Westmere\ncpu_model_extra_flags = pclmuldq, avx2, tsc-deadline\n",
			"nova.conf takes libvirt names, comma separated"},
		{"libvirt", LibvirtCPUXML("Westmere", extra),
			"<cpu mode='custom' match='exact' check='partial'>\n  <model fallback='forbid'>Westmere</model>\n  <feature policy='require' name='pclmuldq'/>\n  <feature policy='require' name='avx2'/>\n  <feature policy='require' name='tsc-deadline'/>\n</cpu>\n",
			"a domain <cpu> element with required features"},
		{"qemu", QEMUCPU("Westmere", extra), "Westmere,pclmulqdq=on,avx2=on,tsc-deadline=on",
			"QEMU spells pclmuldq as pclmulqdq"},
		{"qemu lahf", QEMUCPU("EPYC", []string{"lahf_lm", "perfctr_core"}), "EPYC,lahf-lm=on,perfctr-core=on",
			"QEMU's own names are hyphenated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("%s:\n got %q\nwant %q", tt.reason, tt.got, tt.want)
			}
		})
	}
}
