package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/kvm-migration/cpuflags/internal/migration"
)

// cmdMigrateTest runs one real live migration between two local QEMU
// processes and prints the Result as JSON; it fails (exit 1) when the
// machine was not migrated, with the reason.
func cmdMigrateTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cpu := fs.String("cpu", "", "QEMU -cpu definition of the source, e.g. Westmere,+aes (enforce is added)")
	targetCPU := fs.String("target-cpu", "", "definition of the target (default: the same as --cpu)")
	accel := fs.String("accel", "tcg", "source accelerator: tcg or kvm")
	targetAccel := fs.String("target-accel", "", "target accelerator (default: the same as --accel)")
	machine := fs.String("machine", "pc", "QEMU machine type of both sides")
	qemu := fs.String("qemu", "qemu-system-x86_64", "QEMU binary")
	port := fs.Int("port", 0, "target's port on 127.0.0.1 (0: pick a free one)")
	mem := fs.Int("memory", 64, "guest memory in MB")
	timeout := fs.Duration("timeout", 60*time.Second, "bound on the whole run")
	workdir := fs.String("workdir", "", "directory for the QMP sockets (default: the system temp dir)")
	noPreflight := fs.Bool("no-preflight", false, "migrate even when the target lacks flags the source has (QEMU does not check)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q; give the definitions with --cpu and --target-cpu", errUsage, rest[0])
	}
	if *cpu == "" {
		return fmt.Errorf("%w: give --cpu, e.g. --cpu Westmere,+aes", errUsage)
	}
	if *targetCPU == "" {
		*targetCPU = *cpu
	}
	if *targetAccel == "" {
		*targetAccel = *accel
	}
	for _, a := range []string{*accel, *targetAccel} {
		if a != "tcg" && a != "kvm" {
			return fmt.Errorf("%w: accelerator %q: use tcg or kvm", errUsage, a)
		}
	}
	res, err := migration.LiveMigrate(ctx,
		migration.Side{CPU: *cpu, Accel: *accel, Machine: *machine},
		migration.Side{CPU: *targetCPU, Accel: *targetAccel, Machine: *machine},
		migration.Options{QEMU: *qemu, WorkDir: *workdir, Port: *port, MemoryMB: *mem,
			Timeout: *timeout, SkipPreflight: *noPreflight})
	if err != nil {
		return err
	}
	if err := writeJSON(stdout, res); err != nil {
		return err
	}
	if !res.Migrated {
		return errors.New("not migrated: " + res.Status + ": " + res.Reason)
	}
	return nil
}
