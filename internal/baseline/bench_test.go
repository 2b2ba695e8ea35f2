package baseline

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkCommon adds synthetic hosts of ~150 features (from a pool of 200)
// and takes the intersection, at 100, 1,000 and 10,000 hosts.
func BenchmarkCommon(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		hosts := randomHosts(rand.New(rand.NewSource(1)), n, 200, 0.75)
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				a := &Accumulator{}
				for _, h := range hosts {
					if err := a.Add(h); err != nil {
						b.Fatal(err)
					}
				}
				if len(a.Common()) > 200 {
					b.Fatal("impossible")
				}
			}
		})
	}
}

// BenchmarkAddOne measures refining an existing 10,000-host result by one host.
func BenchmarkAddOne(b *testing.B) {
	hosts := randomHosts(rand.New(rand.NewSource(2)), 10001, 200, 0.75)
	base := mustAcc(b, hosts[:10000]...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a := base.Clone()
		b.StartTimer()
		if err := a.Add(hosts[10000]); err != nil {
			b.Fatal(err)
		}
	}
}
