package novarelease

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]int{
		"zed": 26, "Wallaby": 23, "2023.1": 27, "antelope": 27, "26.2.0": 26,
		"27": 27, "22.4.0": 22, "20.6.1-0ubuntu1": 20, " victoria ": 22, "2026.1": 33,
		"2027.1": 34, "train": 20,
	} {
		r, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if r.Major != want {
			t.Errorf("Parse(%q) = %d, want %d", in, r.Major, want)
		}
	}
	for _, bad := range []string{"", "bobcatt", "nova", "0", "x.1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		} else if bad != "" && !strings.Contains(err.Error(), "wallaby") {
			t.Errorf("Parse(%q) error does not list the known names: %v", bad, err)
		}
	}
}

// The thresholds are the first Nova tags containing the commits named in
// the package documentation.
func TestCapabilities(t *testing.T) {
	cases := []struct {
		rel                    string
		option                 string
		prefixes, any, compare bool
	}{
		{"queens", "cpu_model", false, false, false},
		{"rocky", "cpu_model", false, true, false},
		{"stein", "cpu_model", false, true, false},
		{"train", "cpu_models", false, true, false},
		{"victoria", "cpu_models", false, true, false},
		{"wallaby", "cpu_models", true, true, false},
		{"zed", "cpu_models", true, true, false},
		{"2023.1", "cpu_models", true, true, true},
	}
	for _, c := range cases {
		r, err := Parse(c.rel)
		if err != nil {
			t.Fatal(err)
		}
		if r.ModelOption() != c.option || r.FlagPrefixes() != c.prefixes || r.AnyExtraFlags() != c.any || r.ComparesHypervisorCPU() != c.compare {
			t.Errorf("%s: option %s prefixes %v any %v compare %v; want %s %v %v %v", c.rel,
				r.ModelOption(), r.FlagPrefixes(), r.AnyExtraFlags(), r.ComparesHypervisorCPU(),
				c.option, c.prefixes, c.any, c.compare)
		}
	}
}

func TestName(t *testing.T) {
	if got := (Release{Major: 23}).Name(); got != "wallaby (23)" {
		t.Errorf("Name = %q", got)
	}
	if got := (Release{Major: 40}).Name(); !strings.Contains(got, "after") {
		t.Errorf("Name = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"zed", "26.2.0", "2023.1", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err == nil && r.Major <= 0 {
			t.Fatalf("Parse(%q) = %+v without error", s, r)
		}
	})
}
