package cpuinfo

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// bigCPUInfo repeats the first block of a real Sapphire Rapids cpuinfo n times.
func bigCPUInfo(b *testing.B, n int, vary bool) []byte {
	b.Helper()
	data, err := os.ReadFile(refdata.Path(b, "samples", "intel-xeon-platinum-8480plus-sapphirerapids.cpuinfo"))
	if err != nil {
		b.Fatal(err)
	}
	blk := bytes.TrimRight(data, "\n")
	_, body, _ := bytes.Cut(blk, []byte("\n")) // drop "processor : 0"
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&buf, "processor\t: %d\n", i)
		if vary && i%7 == 3 {
			buf.Write(bytes.Replace(body, []byte(" avx512f "), []byte(" "), 1))
		} else {
			buf.Write(body)
		}
		buf.WriteString("\n\n")
	}
	return buf.Bytes()
}

func BenchmarkParseCPUInfo256(b *testing.B) {
	for _, vary := range []bool{false, true} {
		data := bigCPUInfo(b, 256, vary)
		b.Run(fmt.Sprintf("differ=%v", vary), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				cpu, err := Parse(data, "")
				if err != nil || cpu.LogicalCPUs != 256 || cpu.FlagsDiffer != vary {
					b.Fatalf("Parse: %v", err)
				}
			}
		})
	}
}
