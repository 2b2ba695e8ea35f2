package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/cpuinfo"
	"github.com/kvm-migration/cpuflags/internal/featnames"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/refdata"
)

// sampleHosts are three real hypervisors from the reference samples: two
// Intel generations and one AMD, in a source and a target group.
var sampleHosts = []struct{ file, name, group string }{
	{"intel-xeon-e5-2690v4-broadwell-ep.cpuinfo", "hv-bdw-01", "source"},
	{"intel-xeon-gold-6230-cascadelake.cpuinfo", "hv-clx-01", "target"},
	{"amd-epyc-7742-rome.lscpu", "hv-rome-01", "target"},
}

// sampleResult computes the baseline of the three sample hosts with the
// product's own path (cpuinfo → hostfacts → baseline).
func sampleResult(t testing.TB, req baseline.Request) *baseline.Result {
	t.Helper()
	var hosts []baseline.Host
	for _, s := range sampleHosts {
		cpu, err := cpuinfo.ReadFile(refdata.Path(t, "samples", s.file), "")
		if err != nil {
			t.Fatalf("read sample %s: %v", s.file, err)
		}
		f := hostfacts.FromCPU(s.file, cpu, featnames.Builtin())
		// clusterrun.HostFromFacts for facts without libvirt (clusterrun
		// imports report, so this test cannot).
		hosts = append(hosts, baseline.Host{Name: s.name, Group: s.group, Vendor: f.Vendor, ModelName: f.ModelName,
			View: f.TrustedView, Features: f.TrustedFeatures, LinuxFlags: f.LinuxFlags})
	}
	a := &baseline.Accumulator{}
	for _, h := range hosts {
		if err := a.Add(h); err != nil {
			t.Fatal(err)
		}
	}
	r, err := baseline.Compute(a, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// voidElements never have an end tag in HTML.
var voidElements = map[string]bool{"meta": true, "br": true, "input": true, "hr": true, "img": true, "link": true, "wbr": true, "col": true}

// checkBalanced parses page with encoding/xml in its lenient HTML mode and
// checks that every non-void element is closed, in order.
func checkBalanced(page []byte) error {
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var stack []string
	for {
		tok, err := d.RawToken() // Token would silently repair crossed end tags
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			return fmt.Errorf("line %d: %w", line, err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if !voidElements[e.Name.Local] {
				stack = append(stack, e.Name.Local)
			}
		case xml.EndElement:
			if voidElements[e.Name.Local] {
				continue
			}
			if len(stack) == 0 || stack[len(stack)-1] != e.Name.Local {
				line, _ := d.InputPos()
				return fmt.Errorf("line %d: </%s> does not close <%s> (open: %s)", line, e.Name.Local, last(stack), strings.Join(stack, " > "))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("unclosed elements at the end: %s", strings.Join(stack, " > "))
	}
	return nil
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}
