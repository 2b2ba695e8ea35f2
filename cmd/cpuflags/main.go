// Command cpuflags is the offline command-line face of the collection, on the
// same Go packages as the modules: for operators without Ansible and for
// captured CPU descriptions.
//
//	cpuflags facts [--format F] [--libvirt auto|always|never] [--nested] [--stack-linux V] [--stack-qemu V] [--explain] [FILE...]
//	cpuflags common [--model M] [--instance FILE] [--format json|md|html] [--out DIR] [--nested] [--nova-release R] [GROUP=]FILE|DIR|@LIST...
//	cpuflags drift [--format text|json] PLAN [HOST=]FILE...
//	cpuflags migrate-test --cpu DEF [--target-cpu DEF] [--accel tcg|kvm] [--target-accel tcg|kvm]
//	cpuflags version
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/libvirt"
)

const usage = `usage: cpuflags COMMAND [options] [FILE...]

commands:
  facts    print the CPU facts of each captured FILE (/proc/cpuinfo, lscpu,
           lscpu -J, a flag list, virsh domcapabilities, virsh capabilities
           or a libvirt <cpu>), or of this host when no FILE is given, as
           JSON: one object for one input, an array for several
  common   compute what the hosts in FILE... can share: the common libvirt
           features, who lacks what, the base model and its blockers, the
           extra flags for nova.conf; FILE is a captured CPU description or a
           facts JSON file, DIR a directory of them (the gather role's
           output), @LIST a file naming one input per line; each optionally
           prefixed GROUP= (source=a target=b); --out DIR also writes the
           reports and the plan (plan.json)
  drift    compare a plan (plan.json) with the hosts' current facts: what
           changed (microcode, features, a replaced CPU, hosts not in the
           plan) and whether the plan still holds; exit 0 unchanged, 3
           changed but the plan's model and flags still fit, 4 the plan no
           longer holds; FILE as for common, HOST= names the host
  migrate-test
           live-migrate a small guest between two local QEMU processes over
           loopback, both with -cpu DEF,enforce (--cpu DEF, --target-cpu DEF,
           --accel/--target-accel tcg|kvm); prints the result as JSON and
           fails when not migrated (a side refused, or the target lacks flags)
  version  print the version

Run 'cpuflags COMMAND -h' for the options of a command.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() { os.Exit(main1()) }

func main1() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// errUsage marks errors caused by the command line; they exit with 2.
var errUsage = errors.New("usage")

// exitCode is a result, not an error: the command printed its answer and
// exits with this status (cpuflags drift).
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "facts":
		err = cmdFacts(ctx, args[1:], stdout, stderr)
	case "common":
		err = cmdCommon(ctx, args[1:], stdout, stderr)
	case "drift":
		err = cmdDrift(ctx, args[1:], stdout, stderr)
	case "migrate-test":
		err = cmdMigrateTest(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "cpuflags", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "cpuflags: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		var code exitCode
		if errors.As(err, &code) {
			return int(code)
		}
		fmt.Fprintf(stderr, "cpuflags %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

func cmdFacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("facts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "auto", "input format: auto, cpuinfo, lscpu, lscpu-json, flags, domcapabilities, capabilities, libvirt-cpu")
	lv := fs.String("libvirt", "auto", "for this host: ask libvirt (auto, always, never)")
	uri := fs.String("libvirt-uri", libvirt.DefaultURI, "libvirt connection URI")
	virtType := fs.String("virt-type", "kvm", "virtualization type for domcapabilities: kvm or qemu")
	predFlags := addPredictionFlags(fs)
	explain := fs.Bool("explain", false, "add each exclusion's sentence (from the shared name table) to the facts")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	f, err := cpuinfo.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: --format: %v", errUsage, err)
	}
	switch *lv {
	case hostfacts.LibvirtAuto, hostfacts.LibvirtAlways, hostfacts.LibvirtNever:
	default:
		return fmt.Errorf("%w: --libvirt must be auto, always or never, not %q", errUsage, *lv)
	}
	pred, err := predFlags.prediction()
	if err != nil {
		return err
	}
	base := hostfacts.Options{Format: f, Libvirt: *lv, LibvirtURI: *uri, VirtType: *virtType,
		CPUMapDir: "/usr/share/libvirt/cpu_map", Prediction: pred}
	if len(files) == 0 {
		facts, err := hostfacts.Gather(ctx, base)
		if err != nil {
			return err
		}
		if *explain {
			facts.ExplainExclusions(nil)
		}
		return writeJSON(stdout, facts)
	}
	var all []*hostfacts.Facts
	for _, path := range files {
		opts := base
		opts.Src = path
		facts, err := hostfacts.Gather(ctx, opts)
		if err != nil {
			return err
		}
		if *explain {
			facts.ExplainExclusions(nil)
		}
		all = append(all, facts)
	}
	if len(all) == 1 {
		return writeJSON(stdout, all[0])
	}
	return writeJSON(stdout, all)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// hostName names a host after its file, without the usual capture suffixes.
func hostName(path string) string {
	name := filepath.Base(path)
	for _, suf := range []string{".flags-lscpu.sorted", ".lscpu.json", ".json", ".lscpu", ".cpuinfo", ".flags", ".txt"} {
		if strings.HasSuffix(name, suf) && len(name) > len(suf) {
			return strings.TrimSuffix(name, suf)
		}
	}
	return name
}

// parseInterspersed parses flags that may also follow the positional
// arguments ("cpuflags common a b --out dir"), as operators type them.
// A lone "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for len(args) > 0 {
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		if !strings.HasPrefix(args[0], "-") || args[0] == "-" {
			positional = append(positional, args[0])
			args = args[1:]
			continue
		}
		// Parse from this flag up to the next positional argument.
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		consumed := len(args) - len(fs.Args())
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, fs.Args()...), nil
		}
		args = fs.Args()
	}
	return positional, nil
}
