// Command fleetgen writes a synthetic fleet of hypervisor facts (one JSON
// file per host, as the gather role writes them) for `make bench`:
//
//	go run ./tests/fleetgen -hosts 10000 -out /tmp/fleet10000 [-seed 1] [-list FILE]
//
// -list also writes the file names, one per line, for `cpuflags common @FILE`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/fleetsynth"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func main() {
	n := flag.Int("hosts", 1000, "fleet size")
	out := flag.String("out", "", "output directory")
	seed := flag.Int64("seed", 20261201, "random seed")
	micro := flag.Float64("microcode", 0.02, "share of hosts on another microcode revision")
	list := flag.String("list", "", "also write the file names here, one per line")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "fleetgen: give -out DIR")
		os.Exit(2)
	}
	ref, err := refdata.Find(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetgen:", err)
		os.Exit(1)
	}
	hosts, err := fleetsynth.Generate(filepath.Join(ref, "samples"), fleetsynth.Options{Hosts: *n, Seed: *seed, Microcode: *micro})
	if err == nil {
		err = fleetsynth.WriteDir(*out, hosts)
	}
	if err == nil && *list != "" {
		var b strings.Builder
		for _, h := range hosts {
			b.WriteString(filepath.Join(*out, h.Name+".json") + "\n")
		}
		err = os.WriteFile(*list, []byte(b.String()), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetgen:", err)
		os.Exit(1)
	}
}
