// Command hostanswers asks the host's libvirt which of the rig suite's
// candidate flags the installed Nova would accept (tests/nova/hostcpu) and
// writes the answers as extra-vars files for the playbook checks
// (tests/nova/rollout.sh, molecule/nova). It prints the host's answers, one
// line each, so every check's log shows what it was derived from.
//
//	go run ./tests/nova/hostanswers -dir tests/output/nova
//
// Files written in -dir:
//
//	host-answers.json       rollout vars (model, every candidate) and the expectations
//	validate-accepted.json  the flags the host accepts (validation must pass)
//	validate-refused.json   one feature no host of this vendor has (validation must refuse)
//	refusal.json            an accepted flag plus that feature (the rollout must roll back)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kvm-migration/cpuflags/tests/nova/hostcpu"
)

func main() {
	dir := flag.String("dir", "tests/output/nova", "directory for the extra-vars files")
	model := flag.String("model", "Westmere", "base CPU model")
	uri := flag.String("uri", "", "libvirt URI (virsh's default when empty)")
	flag.Parse()
	if err := run(*dir, *model, *uri); err != nil {
		fmt.Fprintln(os.Stderr, "hostanswers:", err)
		os.Exit(1)
	}
}

func run(dir, model, uri string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h, err := hostcpu.Derive(ctx, hostcpu.Options{Model: model, URI: uri, NovaVersion: os.Getenv("CPUFLAGS_NOVA_VERSION")}, hostcpu.Candidates())
	if h != nil {
		for _, l := range h.Lines() {
			fmt.Println(l)
		}
	}
	if err != nil {
		return err
	}
	never := h.NeverHere()
	if len(never) == 0 {
		return fmt.Errorf("no candidate is another vendor's feature on this %s host", h.Vendor)
	}
	accepted := h.Accepted()
	sorted := slices.Sorted(slices.Values(accepted))
	refusal := []string{never[0]}
	if len(accepted) > 0 {
		refusal = []string{accepted[0], never[0]}
	}
	files := map[string]any{
		"host-answers.json": map[string]any{
			"cpu_flags_rollout_model":  h.Model,
			"cpu_flags_rollout_flags":  h.Given(),
			"cpu_flags_test_host":      h,
			"cpu_flags_test_log":       h.Lines(),
			"cpu_flags_test_accepted":  sorted,
			"cpu_flags_test_refused":   h.Refused(),
			"cpu_flags_test_never":     never,
			"cpu_flags_test_must_fail": h.MustRefuse(),
		},
		"validate-accepted.json": map[string]any{"cpu_flags_rollout_model": h.Model, "cpu_flags_rollout_flags": sorted},
		"validate-refused.json":  map[string]any{"cpu_flags_rollout_model": h.Model, "cpu_flags_rollout_flags": never[:1]},
		"refusal.json":           map[string]any{"cpu_flags_rollout_model": h.Model, "cpu_flags_rollout_flags": refusal},
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, v := range files {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("expect accepted %v; refused %v; never on a %s host: %v (files in %s)\n", sorted, slices.Sorted(maps.Keys(h.Refused())), h.Vendor, never, dir)
	return nil
}
