package probe

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunWithDisabledFeatures: a model that runs here only with a feature
// disabled (the FAKE nova-compute refuses nova.conf without "-svm", as a
// real one refuses EPYC on a host without SVM) is probed with the feature
// off in every trial, and "-svm" is written after the accepted flags.
// Without disabled_flags the same host refuses the base model.
func TestRunWithDisabledFeatures(t *testing.T) {
	for _, strategy := range []string{StrategyBisect, StrategyOneByOne, StrategyAuto} {
		t.Run(strategy, func(t *testing.T) {
			conf, ctl, o := setup(t, "avx512f")
			ctl.refuse = func(conf string) string {
				if strings.Contains(conf, "cpu_models = EPYC") && !strings.Contains(conf, "-svm") {
					return "svm"
				}
				return ""
			}
			pred := newFake("libvirt", "avx512f", "svm")
			o.Model, o.Strategy, o.Apply, o.Predictor = "EPYC", strategy, true, pred
			o.Candidates, o.Disabled = []string{"pcid", "avx512f", "x2apic"}, []string{"svm"}
			rep, err := Run(context.Background(), o)
			noErr(t, err)
			eq(t, []string{"pcid", "x2apic"}, rep.Accepted)
			eq(t, []string{"-svm"}, rep.Disabled)
			has(t, rep.Rejected["avx512f"].Reason, "avx512f")
			restarting := 0
			for _, s := range rep.Steps {
				if len(s.Flags) == 0 || s.Flags[len(s.Flags)-1] != "-svm" {
					t.Errorf("trial %v by %s does not end disabling svm", s.Flags, s.Prober)
				}
				if s.Prober == "nova-compute restart" {
					restarting++
				}
			}
			// The last accepted trial is the final nova.conf: no restart beyond the trials.
			eq(t, restarting, rep.Restarts, "restarts, one per nova-compute trial")
			got, _ := os.ReadFile(conf)
			want := strings.Replace(origConf, "Westmere", "EPYC", 1) + "cpu_model_extra_flags = pcid,x2apic,-svm\n"
			eq(t, want, string(got))
			eq(t, true, ctl.running, "nova-compute runs on the result")

			// The same host, the same model, nothing disabled: refused.
			noErr(t, os.WriteFile(conf, []byte(origConf), 0o640))
			o.Disabled, o.Candidates, o.Apply = nil, []string{"pcid"}, false
			o.Predictor = newFake("libvirt")
			rep, err = Run(context.Background(), o)
			noErr(t, err)
			eq(t, []string{}, rep.Accepted, "every trial is refused without -svm")
			has(t, rep.Rejected["pcid"].Reason, "CPU Flags ['svm']")
			got, _ = os.ReadFile(conf)
			eq(t, origConf, string(got), "nova.conf ends as it was")
			eq(t, true, ctl.running)
		})
	}
}

// TestRunDisabledAlreadyApplied: a host already on the model with its
// disabled features is skipped only when the disabled set is the same.
func TestRunDisabledAlreadyApplied(t *testing.T) {
	applied := strings.Replace(origConf, "Westmere", "EPYC", 1) + "cpu_model_extra_flags = pcid,-svm\n"
	for _, c := range []struct {
		name     string
		disabled []string
		wantSkip bool
		wantWhy  string
	}{
		{name: "same disabled set", disabled: []string{"-svm"}, wantSkip: true, wantWhy: "EPYC + [pcid,-svm]"},
		{name: "given bare", disabled: []string{"svm"}, wantSkip: true, wantWhy: "EPYC + [pcid,-svm]"},
		{name: "no longer disabled", wantWhy: "flags not wanted: -svm"},
		{name: "another disabled", disabled: []string{"svm", "npt"}, wantWhy: "flags missing: -npt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conf, ctl, o := setup(t)
			noErr(t, os.WriteFile(conf, []byte(applied), 0o640))
			ctl.running = true
			var lines []string
			o.Model, o.Strategy, o.Apply, o.RequireAll, o.CheckMode = "EPYC", StrategyLibvirt, true, true, true
			o.Candidates, o.Disabled, o.Predictor = []string{"pcid"}, c.disabled, newFake("libvirt")
			o.Progress = func(s string) { lines = append(lines, s) }
			rep, err := Run(context.Background(), o)
			noErr(t, err)
			eq(t, c.wantSkip, rep.AlreadyApplied != "", rep.AlreadyApplied)
			has(t, strings.Join(lines, "\n"), c.wantWhy)
		})
	}
}

func TestDisabledFlagsInput(t *testing.T) {
	for _, c := range []struct {
		name, nova string
		disabled   []string
		cands      []string
		want       []string
		wantErr    []string
	}{
		{name: "bare, prefixed, Linux spelling, duplicates", nova: "26.2.0", disabled: []string{"svm", "-npt", "tsc_deadline_timer", "-svm", " "},
			want: []string{"-svm", "-npt", "-tsc-deadline"}},
		{name: "unknown Nova version reads prefixes", disabled: []string{"svm"}, want: []string{"-svm"}},
		{name: "none on old Nova", nova: "22.0.0", want: nil},
		{name: "plus", disabled: []string{"+svm", "npt"}, wantErr: []string{`disabled_flags "+svm"`, "belongs in candidates", "Nothing was written"}},
		{name: "not a name", disabled: []string{"svm;rm"}, wantErr: []string{"disabled_flags: not CPU feature names", `"svm;rm"`}},
		{name: "two prefixes", disabled: []string{"--svm", "-+npt"}, wantErr: []string{`disabled_flags "--svm", "-+npt": give each feature bare or with one "-"`}},
		{name: "also a candidate", cands: []string{"pcid", "+svm"}, disabled: []string{"svm"},
			wantErr: []string{`both name svm (candidate "+svm")`, "remove it from one"}},
		{name: "Victoria", nova: "22.2.2", disabled: []string{"svm"},
			wantErr: []string{"the installed Nova 22.2.2 cannot disable model features", "disabled_flags -svm", "Wallaby, 23.0.0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cands, _ := Normalize(c.cands)
			got, err := disabledFlags(c.disabled, cands, c.nova)
			if len(c.wantErr) > 0 {
				if err == nil {
					t.Fatalf("want an error, got %v", got)
				}
				for _, w := range c.wantErr {
					has(t, err.Error(), w)
				}
				return
			}
			noErr(t, err)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
