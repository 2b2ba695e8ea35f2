package hostcpu

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeModels is a FAKE virsh for FindDisabling: domcapabilities lists the
// models with their vendors, and a compare refuses a model for what lacks
// names unless the CPU XML disables all of it.
func fakeModels(lacks map[string][]string, vendors map[string]string) Runner {
	return func(_ context.Context, argv ...string) ([]byte, []byte, int, error) {
		if slices.Contains(argv, "domcapabilities") {
			var b strings.Builder
			b.WriteString("<domainCapabilities><cpu><mode name='host-model'><model>EPYC-Rome</model></mode><mode name='custom' supported='yes'>")
			for m, v := range vendors {
				b.WriteString("<model usable='no' vendor='" + v + "'>" + m + "</model>")
			}
			b.WriteString("</mode></cpu></domainCapabilities>")
			return []byte(b.String()), nil, 0, nil
		}
		data, err := os.ReadFile(argv[len(argv)-1])
		if err != nil {
			return nil, nil, 1, err
		}
		s := string(data)
		model := s[strings.Index(s, "'forbid'>")+9 : strings.Index(s, "</model>")]
		var missing []string
		for _, f := range lacks[model] {
			if !strings.Contains(s, "policy='disable' name='"+f+"'") {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			return nil, []byte("error: Failed to compare\nerror: the CPU is incompatible with host CPU: Host CPU does not provide required features: " + strings.Join(missing, ", ") + "\n"), 1, nil
		}
		return []byte("Host CPU is a superset of CPU described in x\n"), nil, 0, nil
	}
}

func TestFindDisabling(t *testing.T) {
	vendors := map[string]string{"EPYC": "AMD", "EPYC-Rome": "AMD", "EPYC-Genoa": "AMD", "Opteron_G5": "AMD", "Skylake-Server": "Intel", "qemu64": "unknown"}
	for _, tc := range []struct {
		name  string
		lacks map[string][]string
		want  *Disabling
	}{
		{name: "the model missing the fewest, the other vendor's ignored",
			lacks: map[string][]string{"EPYC": {"svm"}, "EPYC-Rome": {"svm", "rdpid"}, "EPYC-Genoa": {"a", "b", "c", "d", "e"}, "Skylake-Server": {"hle"}},
			want:  &Disabling{Model: "EPYC", Disabled: []string{"svm"}}},
		{name: "ties by name", lacks: map[string][]string{"EPYC-Rome": {"svm"}, "Opteron_G5": {"fma4"}},
			want: &Disabling{Model: "EPYC-Rome", Disabled: []string{"svm"}}},
		{name: "every model runs whole", lacks: map[string][]string{}},
		{name: "only models missing too much", lacks: map[string][]string{"EPYC": {"a", "b", "c", "d", "e"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindDisabling(context.Background(), Options{Run: fakeModels(tc.lacks, vendors), Dir: t.TempDir()}, &Host{Vendor: "AMD", Check: "compareCPU"})
			if err != nil {
				t.Fatal(err)
			}
			if got != nil {
				got.WholeSaid, got.Said = "", ""
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
