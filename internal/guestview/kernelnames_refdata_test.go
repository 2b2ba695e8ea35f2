package guestview_test

import (
	"path/filepath"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/cputest"
	"github.com/kvm-migration/cpuflags/internal/guestview"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// TestKernelNamesAgreeWithLinux612 checks the generated name table against
// the shared reference table of Linux 6.12.117's cpufeatures.h, read
// independently: no name 6.12.117 prints may prove a kernel newer than
// 6.12, or one older than 6.12.
func TestKernelNamesAgreeWithLinux612(t *testing.T) {
	checked := 0
	for _, row := range cputest.TSVRows(t, filepath.Join(refdata.MustFind(t), "linux_cpufeatures.tsv")) {
		if row["visible"] != "yes" || row["procname"] == "" {
			continue
		}
		checked++
		ev := guestview.KernelFromFlags([]string{row["procname"]})
		if ev.AtLeast != "" && !cputest.VersionAtLeast("6.12", ev.AtLeast) {
			t.Errorf("%s: printed by 6.12.117, but the table says Linux >= %s", row["procname"], ev.AtLeast)
		}
		if ev.Below != "" && cputest.VersionAtLeast("6.12", ev.Below) {
			t.Errorf("%s: printed by 6.12.117, but the table says Linux < %s", row["procname"], ev.Below)
		}
	}
	if checked < 250 {
		t.Fatalf("only %d visible names checked; the reference table changed?", checked)
	}
}
