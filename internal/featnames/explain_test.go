package featnames

import (
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// Explain gives, from the reason code alone, the sentence Translate wrote for
// every exclusion of every visible Linux flag on either vendor: the whole
// sentence where it does not depend on the host, and the table's part of it
// for kernel-derived flags (the vendor's conclusion is in Derived).
func TestExplainMatchesTranslate(t *testing.T) {
	lf := readTSV(t, refdata.Path(t, "linux_cpufeatures.tsv"))
	var all []string
	for _, r := range lf.rows {
		if n := lf.get(r, "procname"); n != "" && lf.get(r, "visible") == "yes" {
			all = append(all, n)
		}
	}
	all = append(all, "not_a_flag_anywhere", "vnmi")
	tab := Builtin()
	checked := 0
	for _, vendor := range []string{VendorIntel, VendorAMD, ""} {
		for _, e := range tab.Translate(all, vendor).Excluded {
			got := tab.Explain(e.Flag, e.Reason)
			switch {
			case got == "":
				t.Errorf("%s: Explain(%q, %s) is empty; Translate said %q", vendor, e.Flag, e.Reason, e.Detail)
			case e.Reason == ReasonKernelDerived:
				head, _, _ := strings.Cut(got, " What it implies")
				if !strings.HasPrefix(e.Detail, head) {
					t.Errorf("%s: Explain(%q) = %q, want the table part of %q", vendor, e.Flag, got, e.Detail)
				}
			case got != e.Detail:
				t.Errorf("%s: Explain(%q, %s) = %q, want %q", vendor, e.Flag, e.Reason, got, e.Detail)
			}
			checked++
		}
	}
	if checked < 150 {
		t.Fatalf("only %d exclusions checked", checked)
	}
}

// A host libvirt that lacks a mapped feature makes the flag unknown; the
// explanation names the feature without naming this machine's libvirt.
func TestExplainRestrictedUnknown(t *testing.T) {
	tab := Builtin().WithLibvirtFeatures([]string{"sse4.1"}, "libvirt 9.0.0 on this host")
	tr := tab.Translate([]string{"avx512_fp16"}, VendorIntel)
	if len(tr.Excluded) != 1 || tr.Excluded[0].Reason != ReasonUnknown {
		t.Fatalf("translation %+v: want avx512fp16 excluded as unknown", tr)
	}
	got := Builtin().Explain("avx512_fp16", ReasonUnknown)
	if !strings.Contains(got, "avx512-fp16") || !strings.Contains(got, "name_table") {
		t.Errorf("Explain = %q: want the libvirt name and a pointer to the facts' name_table", got)
	}
	if Builtin().Explain("avx2", ReasonSynthetic) != "" {
		t.Errorf("a translated flag under a reason it does not have explains nothing")
	}
}
