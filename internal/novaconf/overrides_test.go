package novaconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	main := write("nova.conf", "[libvirt]\ncpu_mode = custom\n")
	compute := write("nova-compute.conf", "[DEFAULT]\npassword = s3cr3t-x\n[LIBVIRT]\ncpu_model = Nehalem\n")
	d := filepath.Join(dir, "nova.conf.d")
	write("nova.conf.d/20-cpu.conf", "[libvirt]\ncpu_model_extra_flags = -hle\n")
	write("nova.conf.d/10-cpu.conf", "[libvirt]\ncpu_mode = host-model\n")
	write("nova.conf.d/.hidden.conf", "[libvirt]\ncpu_mode = none\n")
	write("nova.conf.d/30-cpu.conf.bak", "[libvirt]\ncpu_mode = none\n")
	write("nova.conf.d/40-other.conf", "[DEFAULT]\ncpu_mode = none\n")

	tests := []struct {
		name, reason string
		main         string
		others       []string
		want         []Override
	}{
		{"all after main", "files then sorted *.conf of the directory, hidden and other suffixes skipped",
			main, []string{compute, d, filepath.Join(dir, "missing.conf")},
			[]Override{
				{File: compute, Section: "LIBVIRT", Key: "cpu_model", Line: 4, Value: "Nehalem"},
				{File: filepath.Join(d, "10-cpu.conf"), Section: "libvirt", Key: "cpu_mode", Line: 2, Value: "host-model"},
				{File: filepath.Join(d, "20-cpu.conf"), Section: "libvirt", Key: "cpu_model_extra_flags", Line: 2, Value: "-hle"},
			}},
		{"main inside dir", "only files after the edited one in read order count",
			filepath.Join(d, "10-cpu.conf"), []string{main, d},
			[]Override{{File: filepath.Join(d, "20-cpu.conf"), Section: "libvirt", Key: "cpu_model_extra_flags", Line: 2, Value: "-hle"}}},
		{"nothing after", "the last file has no overrides", filepath.Join(d, "40-other.conf"), []string{d}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindOverrides(tt.main, tt.others)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got) %s:\n%s", tt.reason, diff)
			}
			for _, o := range got {
				if strings.Contains(o.String(), secretMarker) {
					t.Errorf("override leaks: %s", o)
				}
			}
		})
	}
	bad := write("bad/99.conf", "[DEFAULT]\npassword s3cr3t-bad\n")
	got, err := FindOverrides(main, []string{compute, bad})
	if err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), secretMarker) {
		t.Errorf("unparsable override file: err = %v", err)
	}
	if len(got) != 1 {
		t.Errorf("overrides of readable files must still be reported, got %v", got)
	}
}
