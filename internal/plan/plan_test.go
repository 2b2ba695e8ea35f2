package plan_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvm-migration/cpuflags/internal/plan"
	"github.com/kvm-migration/cpuflags/internal/version"
)

func TestBuildRecordsTheDecision(t *testing.T) {
	srcs := sources(t, "bdw-01", "clx-01", "rome-01")
	p := makePlan(t, srcs, plan.Request{Groups: []string{"source", "target"}})
	if p.Kind != plan.Kind || p.SchemaVersion != plan.SchemaVersion {
		t.Errorf("kind %q version %d", p.Kind, p.SchemaVersion)
	}
	if p.Created != "2025-03-04T05:06:07Z" {
		t.Errorf("created %q", p.Created)
	}
	if p.Product.Version != version.Collection || p.Product.Name != version.Name {
		t.Errorf("product %+v", p.Product)
	}
	if p.Model == "" || p.ModelSource != "recommended" {
		t.Fatalf("model %q source %q", p.Model, p.ModelSource)
	}
	if len(p.Blockers) != 0 {
		t.Errorf("a recommended model is blocked: %v", p.Blockers)
	}
	if got := p.HostNames(); !cmp.Equal(got, []string{"bdw-01", "clx-01", "rome-01"}) {
		t.Errorf("hosts %v", got)
	}
	for name, h := range p.Hosts {
		if !strings.HasPrefix(h.Fingerprint, "sha256:") || len(h.Fingerprint) != 71 {
			t.Errorf("%s fingerprint %q", name, h.Fingerprint)
		}
		if len(h.Features) < 30 {
			t.Errorf("%s records only %d features", name, len(h.Features))
		}
	}
	if p.Hosts["bdw-01"].CPU.Microcode != "0xb00002a" {
		t.Errorf("bdw-01 microcode %q", p.Hosts["bdw-01"].CPU.Microcode)
	}
	// The nova.conf form, for the assumed release.
	if p.Nova.ModelOption != "cpu_models" || !cmp.Equal(p.Nova.CPUModels, []string{p.Model}) ||
		!cmp.Equal(p.Nova.ExtraFlags, p.Flags) || p.Nova.Assumed == "" {
		t.Errorf("nova %+v", p.Nova)
	}
	want := "[libvirt]\ncpu_mode = custom\ncpu_models = " + p.Model + "\ncpu_model_extra_flags = " + strings.Join(p.Flags, ", ") + "\n"
	if p.Nova.Snippet != want {
		t.Errorf("snippet\n%s\nwant\n%s", p.Nova.Snippet, want)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	p := makePlan(t, sources(t, "bdw-01", "clx-01"), plan.Request{NovaRelease: "zed"})
	data, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	q, err := plan.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, q); diff != "" {
		t.Errorf("round trip (-wrote +read):\n%s", diff)
	}
	// Through a generic value, as Ansible and AWX pass it.
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	r, err := plan.DecodeValue(v)
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != p.Digest {
		t.Errorf("digest after a generic round trip %s, want %s", r.Digest, p.Digest)
	}
}

func TestDecodeRefuses(t *testing.T) {
	p := makePlan(t, sources(t, "bdw-01", "clx-01"), plan.Request{})
	good, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"edited model":  {edit(func(m map[string]any) { m["model"] = "Skylake-Server" }), "edited after the baseline wrote it"},
		"edited flags":  {edit(func(m map[string]any) { m["flags"] = []string{"avx512f"} }), "digest mismatch"},
		"newer schema":  {edit(func(m map[string]any) { m["schema_version"] = plan.SchemaVersion + 1 }), "newer than this collection"},
		"unknown field": {edit(func(m map[string]any) { m["approved_by"] = "me" }), "unknown field \"approved_by\""},
		"no digest":     {edit(func(m map[string]any) { m["digest"] = "" }), "no digest"},
		"report.json":   {[]byte(`{"model":"Westmere","model_blockers":{}}`), "baseline report (report.json), not a plan"},
		"other kind":    {[]byte(`{"kind":"x"}`), "not a cpu_flags plan"},
		"not json":      {[]byte("model = Westmere\n"), "not a plan"},
		"edited host fingerprint": {edit(func(m map[string]any) {
			h := m["hosts"].(map[string]any)["bdw-01"].(map[string]any)
			h["cpu"].(map[string]any)["microcode"] = "0xb000040"
		}), "digest mismatch"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := plan.Decode(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Decode: %v, want an error with %q", err, c.want)
			}
		})
	}
}

func TestSameDecision(t *testing.T) {
	srcs := sources(t, "bdw-01", "clx-01")
	a := makePlan(t, srcs, plan.Request{})
	b := makePlanAt(t, srcs, plan.Request{}, testTime.Add(48*time.Hour))
	if a.Digest == b.Digest {
		t.Fatal("plans made at different times have the same digest")
	}
	if !plan.SameDecision(a, b) {
		t.Error("plans differing only in creation time are not the same decision")
	}
	c := makePlan(t, srcs, plan.Request{Model: "Haswell-noTSX"})
	if plan.SameDecision(a, c) {
		t.Error("plans with different models are the same decision")
	}
}

func FuzzDecode(f *testing.F) {
	p := makePlan(f, sources(f, "bdw-01", "clx-01"), plan.Request{})
	good, err := p.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"kind":"kvm_migration.cpu_flags/plan","schema_version":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := plan.Decode(data)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to a plan that decodes the same.
		out, err := q.Encode()
		if err != nil {
			t.Fatal(err)
		}
		r, err := plan.Decode(out)
		if err != nil || r.Digest != q.Digest {
			t.Fatalf("re-decode: %v (digest %v vs %s)", err, r, q.Digest)
		}
	})
}
