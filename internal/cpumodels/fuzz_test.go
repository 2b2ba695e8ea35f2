package cpumodels_test

import (
	"testing"
	"testing/fstest"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
)

// FuzzParseFS feeds arbitrary index, model and feature files to ParseFS: it
// must return a catalog or an error, never panic or hang (include loops and
// parent cycles included).
func FuzzParseFS(f *testing.F) {
	feats := `<cpus><feature name='fpu' migratable='no'><alias name='x87' source='linux'/><cpuid eax_in='0x01' edx='0x01'/></feature><feature name='ibrs-all'><msr index='0x10a' edx='0' eax='2'/></feature></cpus>`
	seeds := [][4]string{
		{index("x86_A.xml", "x86_B.xml"), `<cpus><model name='A'><signature family='6' model='85' stepping='5-7'/><vendor name='Intel'/><feature name='fpu' added='yes'/><feature name='ibrs-all' removed='yes'/></model></cpus>`, `<cpus><model name='B'><decode host='on' guest='off'/><model name='A'/></model></cpus>`, feats},
		{index("index.xml"), "", "", feats},
		{index("x86_A.xml", "x86_B.xml"), `<cpus><model name='A'><model name='B'/></model></cpus>`, `<cpus><model name='B'><model name='A'/></model></cpus>`, feats},
		{index("x86_A.xml"), `<cpus><include filename='x86_B.xml'/></cpus>`, `<cpus><include filename='x86_A.xml'/></cpus>`, feats},
		{index("x86_Missing.xml"), "", "", feats},
		{`<cpus><arch name='x86'><include filename='x86_features.xml'/><model name='M'><feature name='x87'/></model></arch></cpus>`, "", "", feats},
		{`<cpus><model`, `<cpus/>`, `<?xml version="1.0"?><cpus/>`, `<cpus><feature name='f'><cpuid eax_in='0xzz'/></feature></cpus>`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, idx, a, b, features string) {
		fsys := fstest.MapFS{
			"index.xml":        {Data: []byte(idx)},
			"x86_A.xml":        {Data: []byte(a)},
			"x86_B.xml":        {Data: []byte(b)},
			"x86_features.xml": {Data: []byte(features)},
			"x86_vendors.xml":  {Data: []byte(`<cpus><vendor name='Intel' string='GenuineIntel'/></cpus>`)},
		}
		c, err := cpumodels.ParseFS(fsys, "fuzz")
		if err != nil {
			if c != nil {
				t.Fatal("catalog returned with error")
			}
			return
		}
		for name, m := range c.Models {
			if m.Name != name {
				t.Fatalf("model key %q holds %q", name, m.Name)
			}
			for _, f := range m.Features {
				if _, ok := c.Features[f]; !ok {
					t.Fatalf("model %s: feature %s not defined", name, f)
				}
			}
			_ = m.CPUIDFeatures()
			if _, ok := c.Lookup(name); !ok {
				t.Fatalf("Lookup(%q) failed", name)
			}
		}
	})
}
