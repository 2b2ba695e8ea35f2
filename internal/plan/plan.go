package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/baseline"
	"github.com/kvm-migration/cpuflags/internal/hostfacts"
	"github.com/kvm-migration/cpuflags/internal/novarelease"
	"github.com/kvm-migration/cpuflags/internal/version"
)

// Kind names the document type; SchemaVersion is the version of its schema
// this code writes and reads. A change that an older reader would
// misunderstand (a new required field, a changed meaning) raises
// SchemaVersion; older versions stay readable as long as they can be
// applied exactly. Version 2 (issue 8 item 3) adds what the model choice
// depends on: disabled_flags filled, assumed_libvirt, and each host's
// prediction; a version 1 plan reads as one made with no disabled
// features, libvirt 9.0.0 assumed and no prediction recorded.
const (
	Kind          = "kvm_migration.cpu_flags/plan"
	SchemaVersion = 2
	// FileName is the name the baseline gives the plan in its output directory.
	FileName = "plan.json"
)

// DefaultNovaRelease is assumed when the operator names no target release:
// 2023.1, the first release whose start-up check asks libvirt the question
// this plan answers (compareHypervisorCPU). Its nova.conf form (cpu_models,
// +/- flag prefixes) is also what every later release reads.
const DefaultNovaRelease = "2023.1"

// Plan is the reviewed plan (see the package documentation).
type Plan struct {
	Kind          string  `json:"kind"`
	SchemaVersion int     `json:"schema_version"`
	Created       string  `json:"created"`
	Product       Product `json:"product"`
	Request       Request `json:"request"`

	// Model is the base CPU model ("" when none fits every host).
	Model       string `json:"model"`
	ModelSource string `json:"model_source"`
	// Flags are the extra features required on top of the model (libvirt
	// names, sorted): cpu_model_extra_flags without prefixes.
	Flags []string `json:"flags"`
	// DisabledFlags are model features the guest does not get (policy
	// 'disable'; "-flag" in nova.conf), sorted: what some host lacks of a
	// model of the hosts' own vendor, chosen as libvirt's baseline chooses.
	DisabledFlags []string `json:"disabled_flags"`
	// AssumedLibvirt is the libvirt version assumed for the hosts whose
	// facts carried neither libvirt's model list nor its version ("" when
	// every host's libvirt was known): versioned models are judged by it,
	// here and by drift.
	AssumedLibvirt string `json:"assumed_libvirt,omitempty"`
	// Nova is the nova.conf form for the target release.
	Nova Nova `json:"nova"`

	// Blockers maps each host on which the model cannot run to what it lacks.
	// A plan with blockers is never rolled out.
	Blockers map[string][]string `json:"blockers"`
	Warnings []string            `json:"warnings"`

	// Hosts are the hosts the plan covers, by inventory name.
	Hosts map[string]Host `json:"hosts"`

	// Digest is "sha256:" + the hex sha256 of the canonical JSON of the plan
	// with Digest "".
	Digest string `json:"digest"`
}

// Product names what wrote the plan.
type Product struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Request is what the operator asked the baseline for.
type Request struct {
	// Model is the model the operator named ("" = recommend one).
	Model string `json:"model,omitempty"`
	// Groups are the inventory groups in order (the first is the source).
	Groups []string `json:"groups,omitempty"`
	// NovaRelease is the target Nova release as the operator gave it ("" =
	// not given; Nova.Release then says what was assumed).
	NovaRelease string `json:"nova_release,omitempty"`
	// Instance is true when a test instance's features were subtracted.
	Instance bool `json:"instance,omitempty"`
	// LibvirtVersion is the libvirt version the operator said to assume
	// for hosts whose facts carry none ("" = the default).
	LibvirtVersion string `json:"libvirt_version,omitempty"`
}

// Nova is the [libvirt] configuration in the form the target release reads.
type Nova struct {
	// Release is the target release's series name, e.g. "2023.1 (27)".
	Release string `json:"release"`
	// Assumed is set when the operator named no release: what was assumed.
	Assumed string `json:"assumed,omitempty"`
	CPUMode string `json:"cpu_mode"`
	// ModelOption is cpu_models (Train and later) or cpu_model (before).
	ModelOption string   `json:"model_option"`
	CPUModels   []string `json:"cpu_models"`
	// ExtraFlags is cpu_model_extra_flags as written: Flags, then
	// DisabledFlags with a "-" prefix (Wallaby and later only).
	ExtraFlags []string `json:"cpu_model_extra_flags"`
	// Snippet is the [libvirt] section to paste.
	Snippet string `json:"snippet"`
}

// Source is one host: its inventory name and group, its facts (CPU
// identity, microcode, versions) and the guest view the baseline judges it
// by (clusterrun.PlanSource builds both from the facts).
type Source struct {
	Name  string
	Group string
	Facts *hostfacts.Facts
	Guest baseline.Host
}

// Options are what Build needs besides the baseline result.
type Options struct {
	Request Request
	// Now is the creation time; zero means time.Now().
	Now time.Time
}

// Build makes the plan of a baseline result computed from hosts.
func Build(res *baseline.Result, hosts []Source, opt Options) (*Plan, error) {
	if res == nil {
		return nil, errors.New("build the plan: no baseline result")
	}
	if len(hosts) == 0 {
		return nil, errors.New("build the plan: no hosts")
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	p := &Plan{
		Kind:           Kind,
		SchemaVersion:  SchemaVersion,
		Created:        now.UTC().Format(time.RFC3339),
		Product:        Product{Name: version.Name, Version: version.Collection},
		Request:        opt.Request,
		Model:          res.Model,
		ModelSource:    res.ModelSource,
		Flags:          sortedCopy(res.ExtraFlags),
		DisabledFlags:  sortedCopy(res.DisabledFlags),
		AssumedLibvirt: res.AssumedLibvirt,
		Blockers:       map[string][]string{},
		Warnings:       slices.Clone(res.Warnings),
		Hosts:          map[string]Host{},
	}
	if p.Warnings == nil {
		p.Warnings = []string{}
	}
	p.Request.Groups = slices.Clone(opt.Request.Groups)
	for h, fs := range res.ModelBlockers {
		p.Blockers[h] = sortedCopy(fs)
	}
	for _, s := range hosts {
		if s.Facts == nil {
			return nil, fmt.Errorf("build the plan: host %s has no facts", s.Name)
		}
		if _, dup := p.Hosts[s.Name]; dup {
			return nil, fmt.Errorf("build the plan: host %s is given twice", s.Name)
		}
		p.Hosts[s.Name] = HostOf(s)
	}
	nova, err := novaForm(opt.Request.NovaRelease, p.Model, p.Flags, p.DisabledFlags)
	if err != nil {
		return nil, err
	}
	p.Nova = nova
	if err := p.seal(); err != nil {
		return nil, err
	}
	return p, nil
}

// novaForm renders model and flags for the target release.
func novaForm(release, model string, flags, disabled []string) (Nova, error) {
	n := Nova{CPUMode: "custom", CPUModels: []string{}, ExtraFlags: []string{}}
	given := strings.TrimSpace(release)
	if given == "" {
		given = DefaultNovaRelease
		n.Assumed = "no target Nova release was given: " + DefaultNovaRelease +
			" or later is assumed (cpu_models, +/- flag prefixes); set the Nova release for older clouds"
	}
	rel, err := novarelease.Parse(given)
	if err != nil {
		return n, fmt.Errorf("target Nova release: %w", err)
	}
	n.Release = rel.Name()
	n.ModelOption = rel.ModelOption()
	if model == "" {
		return n, nil
	}
	n.CPUModels = []string{model}
	if !rel.AnyExtraFlags() {
		for _, f := range flags {
			if f != "pcid" {
				return n, fmt.Errorf("Nova %s accepts only pcid in cpu_model_extra_flags, and the plan needs %s: plan for Rocky (18) or later, or name a model that contains these features", rel.Name(), strings.Join(flags, ", "))
			}
		}
	}
	n.ExtraFlags = append(n.ExtraFlags, flags...)
	if len(disabled) > 0 {
		if !rel.FlagPrefixes() {
			return n, fmt.Errorf("the plan disables %s of model %s, which needs \"-flag\" in cpu_model_extra_flags: Nova %s does not accept it (Wallaby, 23, and later do)", strings.Join(disabled, ", "), model, rel.Name())
		}
		for _, f := range disabled {
			n.ExtraFlags = append(n.ExtraFlags, "-"+f)
		}
	}
	var b strings.Builder
	b.WriteString("[libvirt]\n")
	b.WriteString("cpu_mode = custom\n")
	b.WriteString(n.ModelOption + " = " + model + "\n")
	b.WriteString("cpu_model_extra_flags = " + strings.Join(n.ExtraFlags, ", ") + "\n")
	n.Snippet = b.String()
	return n, nil
}

// canonical is the JSON whose sha256 is the digest: the plan with Digest "".
func (p *Plan) canonical() ([]byte, error) {
	q := *p
	q.Digest = ""
	data, err := json.Marshal(&q)
	if err != nil {
		return nil, fmt.Errorf("encode the plan: %w", err)
	}
	return data, nil
}

func (p *Plan) seal() error {
	data, err := p.canonical()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	p.Digest = "sha256:" + hex.EncodeToString(sum[:])
	return nil
}

// ShortDigest is the first 12 hex digits of the digest, for messages.
func (p *Plan) ShortDigest() string {
	d := strings.TrimPrefix(p.Digest, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// Encode writes the plan as indented JSON with a final newline.
func (p *Plan) Encode() ([]byte, error) {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the plan: %w", err)
	}
	return append(data, '\n'), nil
}

// SameDecision reports whether two plans say the same thing: equal in every
// field but the creation time and the digest. A baseline run whose plan is
// the same decision as the plan file already written keeps that file, so a
// second run changes nothing.
func SameDecision(a, b *Plan) bool {
	if a == nil || b == nil {
		return false
	}
	x, y := *a, *b
	x.Created, y.Created, x.Digest, y.Digest = "", "", "", ""
	dx, err1 := json.Marshal(&x)
	dy, err2 := json.Marshal(&y)
	return err1 == nil && err2 == nil && bytes.Equal(dx, dy)
}

// Decode reads a plan from its JSON form, checks kind, schema version and
// digest, and refuses unknown fields: a plan that does not load exactly is
// never applied.
func Decode(data []byte) (*Plan, error) {
	trimmed := bytes.TrimSpace(data)
	var head map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &head); err != nil {
		return nil, fmt.Errorf("not a plan: %w", err)
	}
	var kind string
	_ = json.Unmarshal(head["kind"], &kind)
	if kind != Kind {
		if _, ok := head["model_blockers"]; ok {
			return nil, fmt.Errorf("this is a baseline report (report.json), not a plan: give the %s written next to it", FileName)
		}
		return nil, fmt.Errorf("not a cpu_flags plan (kind %q, want %q): give the %s the baseline wrote", kind, Kind, FileName)
	}
	var ver int
	if err := json.Unmarshal(head["schema_version"], &ver); err != nil || ver < 1 {
		return nil, fmt.Errorf("plan has no valid schema_version")
	}
	if ver > SchemaVersion {
		return nil, fmt.Errorf("plan schema version %d is newer than this collection (%s %s) reads (%d): upgrade the collection on the controller", ver, version.Name, version.Collection, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("plan does not match schema version %d: %w", SchemaVersion, err)
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// DecodeValue reads a plan from a decoded JSON value (a map from an Ansible
// variable or an AWX artifact).
func DecodeValue(v any) (*Plan, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not a plan: %w", err)
	}
	return Decode(data)
}

// check verifies the digest and the fields every consumer relies on.
func (p *Plan) check() error {
	want := p.Digest
	if want == "" {
		return errors.New("plan has no digest")
	}
	data, err := p.canonical()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("plan digest mismatch (recorded %s, content %s): the plan was edited after the baseline wrote it; re-run the baseline and review the new plan", want, got)
	}
	if _, err := time.Parse(time.RFC3339, p.Created); err != nil {
		return fmt.Errorf("plan created time %q: %w", p.Created, err)
	}
	if len(p.Hosts) == 0 {
		return errors.New("plan covers no host")
	}
	for name, h := range p.Hosts {
		if h.fingerprint() != h.Fingerprint {
			return fmt.Errorf("plan host %s: its fingerprint does not match its recorded CPU and features", name)
		}
	}
	return nil
}

// HostNames returns the names of the hosts the plan covers, sorted.
func (p *Plan) HostNames() []string {
	out := make([]string, 0, len(p.Hosts))
	for n := range p.Hosts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	if out == nil {
		return []string{}
	}
	sort.Strings(out)
	return slices.Compact(out)
}
