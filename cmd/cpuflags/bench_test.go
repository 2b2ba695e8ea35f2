package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/fleetsynth"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// benchFleetSizes are the fleet sizes BenchmarkCommonFleet runs;
// CPUFLAGS_BENCH_HOSTS=1000,10000,100000 overrides them (make bench).
func benchFleetSizes() []int {
	sizes := []int{1000, 10000}
	if env := os.Getenv("CPUFLAGS_BENCH_HOSTS"); env != "" {
		sizes = nil
		for _, s := range strings.Split(env, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
				sizes = append(sizes, n)
			}
		}
	}
	return sizes
}

// BenchmarkCommonFleet times `cpuflags common` over the whole CLI path
// (read and decode every facts file, compute, render and write the JSON
// result) on a realistic synthetic fleet (internal/fleetsynth) written to
// disk as the gather role writes it.
func BenchmarkCommonFleet(b *testing.B) {
	samples := refdata.Path(b, "samples")
	for _, n := range benchFleetSizes() {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			hosts, err := fleetsynth.Generate(samples, fleetsynth.Options{Hosts: n, Seed: 20261201})
			if err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			if err := fleetsynth.WriteDir(dir, hosts); err != nil {
				b.Fatal(err)
			}
			args := []string{"common"}
			for _, h := range hosts {
				args = append(args, filepath.Join(dir, h.Name+".json"))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if rc := run(context.Background(), args, io.Discard, io.Discard); rc != 0 {
					b.Fatalf("cpuflags common exited %d", rc)
				}
			}
		})
	}
}
