package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/clusterrun"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/plan"
)

// Exit statuses of cpuflags drift.
const (
	driftChangedHolds exitCode = 3 // something changed; the plan's model and flags still fit
	driftBroken       exitCode = 4 // the plan no longer holds
)

func cmdDrift(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output: text or json")
	// Captures are read as cpuflags common reads them: give drift the same
	// prediction options the plan was made with.
	predFlags := addPredictionFlags(fs)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("%w: --format must be text or json, not %q", errUsage, *format)
	}
	if len(files) < 2 {
		return fmt.Errorf("%w: give the plan and at least one FILE of current facts (cpuflags drift plan.json HOST=FILE...)", errUsage)
	}
	pred, err := predFlags.prediction()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("read the plan: %w", err)
	}
	p, err := plan.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	var current []plan.Source
	seen := map[string]string{}
	for _, arg := range files[1:] {
		name, path := splitHost(arg)
		f, err := hostfacts.LoadWith(ctx, path, pred)
		if err != nil {
			return err
		}
		if prev, dup := seen[name]; dup {
			return fmt.Errorf("%w: host %s is given twice (%s and %s); name one with HOST=FILE", errUsage, name, prev, path)
		}
		seen[name] = path
		current = append(current, clusterrun.PlanSource(name, "", f))
	}
	r, err := plan.Drift(p, current)
	if err != nil {
		return err
	}
	if *format == "json" {
		if err := writeJSON(stdout, r); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout, strings.Join(r.Summary, "\n"))
	}
	switch {
	case r.Unchanged && r.Holds:
		return nil
	case r.Holds:
		return driftChangedHolds
	default:
		return driftBroken
	}
}

// splitHost reads "HOST=PATH"; a plain path is named after its file
// (hostName), as cpuflags common names hosts.
func splitHost(arg string) (host, path string) {
	h, p := splitGroup(arg)
	if h == "" {
		return hostName(p), p
	}
	return h, p
}
