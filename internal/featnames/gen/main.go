// Command gen writes zz_generated_table.go of package featnames from the
// shared reference data (located with refdata.Find or $CPUFLAGS_REF).
//
// Run it with `go generate ./internal/featnames`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kvm-migration/cpuflags/internal/featnames/internal/gentable"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func main() {
	out := flag.String("o", "zz_generated_table.go", "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "featnames/gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ref, err := refdata.Find(".")
	if err != nil {
		return fmt.Errorf("locate reference data: %w", err)
	}
	src, err := gentable.Generate(ref)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, src, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
