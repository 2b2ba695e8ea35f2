// Command gen copies the reference samples named in the demo manifest into
// the directory of the manifest.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kvm-migration/cpuflags/internal/demodata"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "demodata gen: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	manifest := flag.String("manifest", "", "path of MANIFEST.tsv")
	flag.Parse()
	ref, err := refdata.Find(".")
	if err != nil {
		return err
	}
	entries, err := demodata.ReadManifest(*manifest)
	if err != nil {
		return err
	}
	dir := filepath.Dir(*manifest)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(ref, "samples", e.Sample))
		if err != nil {
			return fmt.Errorf("host %s: %w", e.Host, err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Sample), data, 0o644); err != nil {
			return fmt.Errorf("host %s: %w", e.Host, err)
		}
	}
	return nil
}
