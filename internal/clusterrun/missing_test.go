package clusterrun

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvm-migration/cpuflags/internal/baseline"
)

func TestMarkMissingNamesTheHostsInEveryOutput(t *testing.T) {
	r := &baseline.Result{
		Warnings: []string{"mixed vendors"},
		NovaConf: baseline.NovaConf("Westmere", []string{"avx"}),
	}
	markMissing(r, map[string]string{"rome-02": "unreachable", "bdw-09": ""})

	if diff := cmp.Diff(map[string]string{"rome-02": "unreachable", "bdw-09": ""}, r.MissingHosts); diff != "" {
		t.Errorf("MissingHosts (-want +got):\n%s", diff)
	}
	if len(r.Warnings) != 2 || !strings.HasPrefix(r.Warnings[0], "computed WITHOUT 2 host(s) of the cluster: bdw-09, rome-02 (unreachable).") {
		t.Errorf("the first warning must name the missing hosts, got %q", r.Warnings)
	}
	if want := "# computed without bdw-09, rome-02: not checked against them\n[libvirt]\n"; !strings.HasPrefix(r.NovaConf, want) {
		t.Errorf("snippet header: got %q, want prefix %q", r.NovaConf, want)
	}
}

func TestMarkMissingLeavesACompleteBaselineAlone(t *testing.T) {
	r := &baseline.Result{Warnings: []string{}, NovaConf: "[libvirt]\n"}
	markMissing(r, nil)
	if r.MissingHosts != nil || len(r.Warnings) != 0 || r.NovaConf != "[libvirt]\n" {
		t.Errorf("a complete baseline changed: %+v", r)
	}
}
