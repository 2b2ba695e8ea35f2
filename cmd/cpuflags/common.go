package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/artifacts"
	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/clusterrun"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/plan"
	"github.com/kvm-migration/cpuflags/internal/report"
)

func cmdCommon(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("common", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "base CPU model to check (default: recommend one)")
	instance := fs.String("instance", "", "CPU description of a test instance running the base model (step 3)")
	format := fs.String("format", "json", "output: json, md or html")
	out := fs.String("out", "", "also write every artifact (flag lists, report.json/md/html, plan.json) into this directory")
	predFlags := addPredictionFlags(fs)
	novaRelease := fs.String("nova-release", "", "target Nova release for the plan's nova.conf form, e.g. zed, 2023.1 or 26.2.0 (default: "+plan.DefaultNovaRelease+" or later)")
	libvirtVersion := fs.String("libvirt-version", "", "libvirt version to assume for hosts whose facts carry none, e.g. 11.3.0 (default: "+baseline.DefaultAssumedLibvirt+", which defines no versioned model)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(files) == 0 {
		return fmt.Errorf("%w: give at least one input: a captured CPU description or facts JSON file, a directory of them, or @LIST (a file naming one per line)", errUsage)
	}
	if !slices.Contains([]string{"json", "md", "html"}, *format) {
		return fmt.Errorf("%w: --format must be json, md or html, not %q", errUsage, *format)
	}
	pred, err := predFlags.prediction()
	if err != nil {
		return err
	}
	srcs, err := expandInputs(files)
	if err != nil {
		return err
	}
	hosts, err := clusterrun.LoadHosts(ctx, srcs, pred)
	if err != nil {
		return err
	}
	in := clusterrun.Input{Model: *model, Hosts: hosts, NovaRelease: *novaRelease, LibvirtVersion: *libvirtVersion}
	for _, h := range hosts {
		if h.Group != "" && !slices.Contains(in.Groups, h.Group) {
			in.Groups = append(in.Groups, h.Group)
		}
	}
	if *instance != "" {
		f, err := hostfacts.LoadWith(ctx, *instance, pred)
		if err != nil {
			return fmt.Errorf("--instance: %w", err)
		}
		in.Instance = f
	}
	res, err := clusterrun.Compute(in)
	if err != nil {
		return err
	}
	p, err := clusterrun.Plan(in, res, time.Now())
	if err != nil {
		return err
	}
	if *out != "" {
		p = clusterrun.KeepWrittenPlan(*out, p)
		files, err := clusterrun.Files(res, p)
		if err != nil {
			return err
		}
		if _, err := artifacts.Write(*out, files, false); err != nil {
			return err
		}
		dir := strings.TrimRight(*out, "/")
		fmt.Fprintf(stderr, "cpuflags common: artifacts in %s (report: %s/report.html, plan: %s/%s %s)\n", *out, dir, dir, plan.FileName, p.ShortDigest())
	}
	bw := bufio.NewWriterSize(stdout, 1<<20)
	switch *format {
	case "md":
		err = report.WriteMarkdown(bw, res)
	case "html":
		err = report.WriteHTML(bw, res)
	default:
		err = report.WriteJSON(bw, res)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

// splitGroup reads "GROUP=PATH"; a plain path (or one whose prefix contains
// a slash, or an existing file literally named so) has no group.
func splitGroup(arg string) (group, path string) {
	g, p, ok := strings.Cut(arg, "=")
	if !ok || g == "" || strings.ContainsRune(g, '/') {
		return "", arg
	}
	if _, err := os.Stat(arg); err == nil {
		return "", arg
	}
	return g, p
}
