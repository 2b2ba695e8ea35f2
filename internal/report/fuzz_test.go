package report

import (
	"strings"
	"testing"

	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// FuzzHTML renders results whose host, group, feature and model names are
// arbitrary: no panic, and no <script but the page's own.
func FuzzHTML(f *testing.F) {
	f.Add("hv-01", "avx2", "source", "Westmere")
	f.Add("<script>alert(1)</script>", "<ScRiPt src=x>", "</table>", "qemu64")
	f.Add(`"><script>`, "`|[x](javascript:1)", "", "<script")
	f.Add("\x00<\x00script", "a\nb", "<!--", "]]>")
	f.Fuzz(func(t *testing.T, host, feature, group, model string) {
		r := &baseline.Result{
			Hosts: []baseline.HostSummary{
				{Name: host, Group: group, Vendor: host, ModelName: feature, Class: "c1"},
				{Name: "other", Group: "target", Vendor: "AMD", Unique: []string{feature}, Class: "c2"},
			},
			Classes: []baseline.HostClass{
				{ID: "c1", Count: 1, Members: []string{host}, Groups: []string{group}, Vendor: host, ModelName: feature, View: group, Features: []string{model}, Lacks: []string{feature}, Blocked: []string{feature}},
				{ID: "c2", Count: 2, Members: []string{"other", host}, Groups: []string{"target"}, Vendor: "AMD", Features: []string{feature, model}},
			},
			Vendors:        []string{host},
			Common:         []string{"fpu", model},
			MissingClasses: map[string][]string{feature: {"c1"}},
			Model:          model,
			ModelSource:    baseline.ModelRequested,
			ModelFeatures:  []string{feature},
			ModelBlockers:  map[string][]string{host: {feature}},
			ExtraFlags:     []string{model},
			Excluded:       map[string]featnames.Exclusion{"fpu": {Flag: feature, Reason: featnames.Reason(group), Detail: host}},
			Candidates:     []baseline.Candidate{{Model: model, Lacking: []string{feature}, BlockedClasses: map[string][]string{"c1": {feature}}, Reason: host, AliasOf: group}},
			Rejected:       []baseline.Candidate{{Model: feature, Lacking: []string{model}, BlockedClasses: map[string][]string{"c2": {host}}}},
			Warnings:       []string{host + feature},
			Explanation:    []string{group + model},
			NovaConf:       baseline.NovaConf(model, []string{feature}),
			LibvirtXML:     baseline.LibvirtCPUXML(model, []string{feature}),
			QEMUCPU:        baseline.QEMUCPU(model, []string{feature}),
			Artifacts:      baseline.Artifacts{Files: map[string][]string{group: {host}}, SourceGroup: group, TargetGroups: []string{feature}},
		}
		page := strings.ToLower(string(HTML(r)))
		if n := strings.Count(page, "<script"); n != 1 {
			t.Fatalf("page has %d <script, want 1 (its own)", n)
		}
		if strings.Contains(page, "rendering failed") {
			t.Fatalf("template failed: %s", page[strings.Index(page, "rendering failed"):])
		}
		md := strings.ToLower(stripCode(string(Markdown(r))))
		if strings.Contains(md, "<script") {
			t.Fatalf("Markdown has <script outside code:\n%s", md)
		}
	})
}
