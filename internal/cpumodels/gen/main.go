// Command gen writes ../zz_generated_catalog.go from libvirt's cpu_map in the
// shared reference data. Run it with `go generate ./internal/cpumodels`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kvm-migration/cpuflags/internal/cpumodels"
	"github.com/kvm-migration/cpuflags/internal/cpumodels/internal/catgen"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cpumodels/gen:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("o", catgen.FileName, "output file")
	dir := flag.String("dir", "", "cpu_map directory (default: <refdata>/libvirt/cpu_map)")
	version := flag.String("libvirt", "11.3.0", "libvirt release the cpu_map comes from")
	flag.Parse()
	if *dir == "" {
		ref, err := refdata.Find(".")
		if err != nil {
			return err
		}
		*dir = filepath.Join(ref, "libvirt", "cpu_map")
	}
	origin := catgen.Origin{Libvirt: *version, From: "shared/ref/libvirt/cpu_map"}
	c, err := cpumodels.ParseFS(os.DirFS(*dir), origin.SourceName())
	if err != nil {
		return err
	}
	src, err := catgen.Render(c, origin)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Printf("wrote %s: %d models, %d features, %d bytes\n", *out, len(c.Models), len(c.Features), len(src))
	return nil
}
