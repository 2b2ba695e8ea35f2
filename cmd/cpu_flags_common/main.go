// Command cpu_flags_common is the controller-side Ansible module that
// computes the cluster baseline from every hypervisor's cpu_flags facts. See
// plugins/modules/cpu_flags_common.py for its documentation.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/ansiblemod"
	"github.com/kvm-migration/cpuflags/internal/artifacts"
	"github.com/kvm-migration/cpuflags/internal/clusterrun"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/modutil"
	"github.com/kvm-migration/cpuflags/internal/plan"
)

// Plan checks (parameter plan_check).
const (
	checkVerify = "verify"
	checkDrift  = "drift"
)

var spec = ansiblemod.Spec{
	Name:              "cpu_flags_common",
	SupportsCheckMode: true,
	Params: map[string]ansiblemod.Param{
		"facts":            {Type: ansiblemod.TypeDict, Required: true},
		"groups":           {Type: ansiblemod.TypeList},
		"inventory_groups": {Type: ansiblemod.TypeDict},
		"model":            {Default: ""},
		"instance":         {Type: ansiblemod.TypeDict},
		"output_dir":       {Type: ansiblemod.TypePath},
		"candidates":       {Type: ansiblemod.TypeInt, Default: 5},
		"missing_hosts":    {Type: ansiblemod.TypeDict},
		"nova_release":     {Default: ""},
		"libvirt_version":  {Default: ""},
		"plan":             {Type: ansiblemod.TypeRaw},
		"plan_check":       {Default: checkVerify, Choices: []string{checkVerify, checkDrift}},
	},
	MutuallyExclusive: [][]string{{"plan", "model"}, {"plan", "instance"}, {"plan", "output_dir"}, {"plan", "nova_release"}, {"plan", "libvirt_version"}, {"plan", "missing_hosts"}},
}

func main() { os.Exit(ansiblemod.Run(spec, os.Args, run)) }

func run(ctx context.Context, m *ansiblemod.Module, r *ansiblemod.Result) error {
	if m.IsSet("plan") {
		return checkPlan(m, r)
	}
	in := clusterrun.Input{Model: m.Str("model"), Groups: m.List("groups"), Candidates: m.Int("candidates"),
		NovaRelease: m.Str("nova_release"), LibvirtVersion: m.Str("libvirt_version")}
	hosts, err := hostsFromParams(m.Dict("facts"), in.Groups, m.Dict("inventory_groups"), m.Dict("missing_hosts"))
	if err != nil {
		return err
	}
	in.Hosts = hosts
	if missing := m.Dict("missing_hosts"); len(missing) > 0 {
		in.Missing = map[string]string{}
		for name, why := range missing {
			if d, ok := m.Dict("facts")[name].(map[string]any); ok && len(d) > 0 {
				return fmt.Errorf("missing_hosts names %s, whose facts were given: remove it from one of them", name)
			}
			in.Missing[name] = fmt.Sprint(why)
		}
	}
	if inst := m.Dict("instance"); len(inst) > 0 {
		f, err := factsFrom(inst)
		if err != nil {
			return fmt.Errorf("instance: %w", err)
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
	out, err := modutil.ToMap(res)
	if err != nil {
		return err
	}
	// The brief's file contents are in the artifacts directory; keep the
	// facts small enough to read in a job's output.
	delete(out, "artifacts")
	r.Facts = map[string]any{"cpu_flags_baseline": out}
	// The warnings are in the facts (cpu_flags_baseline.warnings) and the
	// reports, and the baseline role's summary prints them once, with the
	// model and the snippet; as Ansible warnings they came a second time,
	// wrapped, before the result.
	r.Msg = summary(res.Model, res.ModelSource, len(res.ExtraFlags), len(res.ModelBlockers))
	if n := len(res.Warnings); n > 0 {
		r.Msg += fmt.Sprintf(" (%d warnings in cpu_flags_baseline.warnings)", n)
	}
	if len(in.Missing) > 0 {
		names := make([]string, 0, len(in.Missing))
		for name := range in.Missing {
			names = append(names, name)
		}
		sort.Strings(names)
		r.Msg += "; computed WITHOUT " + strings.Join(names, ", ")
	}

	dir := m.Path("output_dir")
	if dir != "" {
		p = clusterrun.KeepWrittenPlan(dir, p)
	}
	doc, err := modutil.ToMap(p)
	if err != nil {
		return err
	}
	r.Set("plan", doc)
	r.Set("plan_digest", p.Digest)
	if dir != "" {
		files, err := clusterrun.Files(res, p)
		if err != nil {
			return err
		}
		changed, err := artifacts.Write(dir, files, m.CheckMode)
		if err != nil {
			return err
		}
		r.Changed = len(changed) > 0
		r.Set("changed_files", nonNil(changed))
		r.Set("report", filepath.Join(dir, "report.html"))
		r.Set("plan_file", filepath.Join(dir, plan.FileName))
		r.Set("written", !m.CheckMode)
	}
	return nil
}

// checkPlan verifies a reviewed plan against the hosts' current facts
// (plan_check=verify: fail naming every host and reason when the plan must
// not be rolled out to them), or reports the drift since the plan.
func checkPlan(m *ansiblemod.Module, r *ansiblemod.Result) error {
	p, err := loadPlan(m.Params["plan"])
	if err != nil {
		return err
	}
	hosts, err := hostsFromParams(m.Dict("facts"), m.List("groups"), m.Dict("inventory_groups"), nil)
	if err != nil {
		return err
	}
	current := make([]plan.Source, len(hosts))
	for i, h := range hosts {
		current[i] = clusterrun.PlanSource(h.Name, h.Group, h.Facts)
	}
	doc, err := modutil.ToMap(p)
	if err != nil {
		return err
	}
	r.Set("plan_digest", p.Digest)
	if m.Str("plan_check") == checkDrift {
		d, err := plan.Drift(p, current)
		if err != nil {
			return err
		}
		dm, err := modutil.ToMap(d)
		if err != nil {
			return err
		}
		r.Set("drift", dm)
		r.Set("plan", doc)
		r.Msg = strings.Join(d.Summary, "\n")
		return nil
	}
	v := plan.Verify(p, current)
	vm, err := modutil.ToMap(v)
	if err != nil {
		return err
	}
	r.Set("verdict", vm)
	if !v.OK {
		// The refusal is the message; the plan itself (every host's
		// features) would bury it in the task output.
		return ansiblemod.WithFields(errors.New(v.Message(p)), map[string]any{"verdict": vm, "plan_digest": p.Digest})
	}
	r.Set("plan", doc)
	r.Msg = v.Message(p)
	return nil
}

// loadPlan reads the plan parameter: a path to plan.json on the controller,
// or the plan document itself (an AWX artifact, or the baseline's result).
func loadPlan(v any) (*plan.Plan, error) {
	switch t := v.(type) {
	case string:
		path := strings.TrimSpace(t)
		if path == "" {
			return nil, errors.New("plan: empty; give the path of the plan.json the baseline wrote, or the plan itself")
		}
		if !filepath.IsAbs(path) {
			return nil, fmt.Errorf("plan: %q is a relative path; give an absolute path (the module runs in a temporary directory)", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		p, err := plan.Decode(data)
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", path, err)
		}
		return p, nil
	case map[string]any:
		p, err := plan.DecodeValue(t)
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		return p, nil
	default:
		return nil, fmt.Errorf("plan: want the path of plan.json or the plan document, got %T", v)
	}
}

func summary(model, source string, extra, blocked int) string {
	if model == "" {
		return "no libvirt CPU model fits every host; see warnings and the report"
	}
	s := fmt.Sprintf("%s model %s with %d extra flags", source, model, extra)
	if blocked > 0 {
		s += fmt.Sprintf("; BLOCKED on %d hosts (nova-compute would refuse to start there)", blocked)
	}
	return s
}

// hostsFromParams pairs each host's facts with the first of the ordered
// groups that lists it; hosts in none of them get no group.
func hostsFromParams(facts map[string]any, order []string, inv map[string]any, missingAllowed map[string]any) ([]clusterrun.Host, error) {
	groupOf := map[string]string{}
	for _, g := range order {
		members, ok := inv[g].([]any)
		if !ok && inv != nil {
			return nil, fmt.Errorf("group %q is not in inventory_groups; check groups and the inventory", g)
		}
		for _, m := range members {
			if name, ok := m.(string); ok {
				if _, seen := groupOf[name]; !seen {
					groupOf[name] = g
				}
			}
		}
	}
	names := make([]string, 0, len(facts))
	for name := range facts {
		names = append(names, name)
	}
	sort.Strings(names)
	var missing []string
	var hosts []clusterrun.Host
	for _, name := range names {
		d, _ := facts[name].(map[string]any)
		if len(d) == 0 {
			if _, allowed := missingAllowed[name]; allowed {
				continue
			}
			missing = append(missing, name)
			continue
		}
		f, err := factsFrom(d)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
		hosts = append(hosts, clusterrun.Host{Name: name, Group: groupOf[name], Facts: f})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no cpu_flags facts for %s: gather them (role cpu_flags_gather), or name them in missing_hosts to compute the baseline without them", strings.Join(missing, ", "))
	}
	return hosts, nil
}

func factsFrom(d map[string]any) (*hostfacts.Facts, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode facts: %w", err)
	}
	return hostfacts.FromJSON(data)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
