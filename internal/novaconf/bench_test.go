package novaconf

import (
	"fmt"
	"strings"
	"testing"
)

func bigConf() []byte {
	var b strings.Builder
	sections := []string{"DEFAULT", "database", "keystone_authtoken", "libvirt", "neutron", "placement"}
	for _, s := range sections {
		fmt.Fprintf(&b, "[%s]\n\n", s)
		for i := 0; i < 830/5; i++ {
			fmt.Fprintf(&b, "#\n# Help for option_%d.\n#  (string value)\n#option_%d = <None>\n", i, i)
		}
		if s == "libvirt" {
			b.WriteString("cpu_mode = host-model\nvirt_type = kvm\n")
		}
		b.WriteString("password = s3cr3t\n\n")
	}
	return []byte(b.String())
}

func BenchmarkSetCPU(b *testing.B) {
	data := bigConf()
	if n := strings.Count(string(data), "\n"); n < 4000 {
		b.Fatalf("only %d lines", n)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := f.SetCPU(wantCustom); err != nil {
			b.Fatal(err)
		}
	}
}
