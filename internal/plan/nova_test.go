package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNovaForm(t *testing.T) {
	cases := []struct {
		release         string
		flags, disabled []string
		option          string
		extra           []string
		err             string
	}{
		{"", []string{"pcid"}, []string{"mpx"}, "cpu_models", []string{"pcid", "-mpx"}, ""},
		{"wallaby", []string{"pcid"}, []string{"mpx"}, "cpu_models", []string{"pcid", "-mpx"}, ""},
		{"victoria", []string{"pcid"}, nil, "cpu_models", []string{"pcid"}, ""},
		{"victoria", []string{"pcid"}, []string{"mpx"}, "", nil, "does not accept it (Wallaby, 23, and later do)"},
		{"stein", []string{"pcid", "avx2"}, nil, "cpu_model", []string{"pcid", "avx2"}, ""},
		{"19.3.0", nil, nil, "cpu_model", []string{}, ""},
		{"queens", []string{"pcid"}, nil, "cpu_model", []string{"pcid"}, ""},
		{"queens", []string{"pcid", "avx2"}, nil, "", nil, "accepts only pcid"},
		{"havana-ish", nil, nil, "", nil, "target Nova release"},
	}
	for _, c := range cases {
		n, err := novaForm(c.release, "Haswell-noTSX", c.flags, c.disabled)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.release, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.release, err)
			continue
		}
		if n.ModelOption != c.option || !cmp.Equal(n.ExtraFlags, c.extra) {
			t.Errorf("%s: option %s flags %v, want %s %v", c.release, n.ModelOption, n.ExtraFlags, c.option, c.extra)
		}
		if !strings.Contains(n.Snippet, c.option+" = Haswell-noTSX\n") {
			t.Errorf("%s: snippet %q", c.release, n.Snippet)
		}
		if (c.release == "") != (n.Assumed != "") {
			t.Errorf("%s: assumed %q", c.release, n.Assumed)
		}
	}
}
