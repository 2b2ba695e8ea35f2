package baseline

import (
	"sort"
	"strconv"
	"strings"

	"github.com/kvm-migration/cpuflags/internal/featnames"
)

// Model sources: where Result.Model came from.
const (
	// ModelRequested means the operator named the model.
	ModelRequested = "requested"
	// ModelRecommended means Compute chose the model.
	ModelRecommended = "recommended"
	// ModelNone means no catalog model fits the cluster (Result.Model is "").
	ModelNone = "none"
)

// HostSummary is one host as the result reports it.
type HostSummary struct {
	Name      string `json:"name"`
	Group     string `json:"group,omitempty"`
	Vendor    string `json:"vendor"`
	ModelName string `json:"model_name,omitempty"`
	// View is the view its Features came from: "libvirt" or "cpuinfo".
	View string `json:"view"`
	// FeatureCount is the number of trusted libvirt features of the host.
	FeatureCount int `json:"feature_count"`
	// LinuxFlagCount is the number of Linux flags of the host.
	LinuxFlagCount int `json:"linux_flag_count"`
	// Unique lists the features only this host has (every other host lacks
	// them); empty for a single-host cluster.
	Unique []string `json:"unique,omitempty"`
	// Class is the ID of the host's class (Result.Classes).
	Class string `json:"class"`
}

// HostClass is a set of hosts whose description is identical: view, vendor,
// CPU model name, trusted features, Linux flags and libvirt's model
// usability. The baseline is computed per class; a fleet of thousands of
// hosts in a few generations has a few dozen classes.
type HostClass struct {
	// ID is "c1", "c2"...: classes are numbered in the order of their first
	// member's name.
	ID string `json:"id"`
	// Count is the number of member hosts; Members their sorted names.
	Count   int      `json:"count"`
	Members []string `json:"members"`
	// Groups are the inventory groups the members belong to, sorted.
	Groups    []string `json:"groups,omitempty"`
	Vendor    string   `json:"vendor"`
	ModelName string   `json:"model_name,omitempty"`
	View      string   `json:"view"`
	// Features are the class's trusted features (libvirt names), sorted.
	Features []string `json:"features"`
	// LinuxFlagCount is the number of the class's Linux flags.
	LinuxFlagCount int `json:"linux_flag_count"`
	// Lacks lists the features some other class has and this one lacks.
	Lacks []string `json:"lacks,omitempty"`
	// Blocked lists what the base model needs and this class lacks.
	Blocked []string `json:"blocked,omitempty"`
}

// Candidate is one catalog model considered as the base model.
type Candidate struct {
	Model  string `json:"model"`
	Vendor string `json:"vendor,omitempty"`
	// Fits is true when the model runs on every host: every feature it
	// requires is on every host, or (Disabled) the features some host lacks
	// are disabled for guests, which only a cluster of one vendor and a Nova
	// that accepts "-feature" (Wallaby and later) allow.
	Fits bool `json:"fits"`
	// Disabled lists the model's features disabled so that every host runs
	// it (policy='disable', "-feature" in nova.conf), sorted.
	Disabled []string `json:"disabled,omitempty"`
	// Removed lists the features libvirt's CPU map marks removed from the
	// model (removed='yes') that not every host has: libvirt disables them
	// itself (virCPUx86Update), so they are never required or written.
	Removed []string `json:"removed,omitempty"`
	// Lacking lists the model's features outside the common set (when !Fits).
	Lacking []string `json:"lacking,omitempty"`
	// ExtraCount is how many extra flags the model would leave.
	ExtraCount int `json:"extra_count"`
	// Score is libvirt's cost of the model for this cluster (lower is
	// better): one per common feature it lacks (libvirt adds it as
	// required), and 2, 3, 4... for each feature disabled, the removed ones
	// included (src/cpu/cpu_x86.c virCPUx86CompareCandidateFeatureList).
	Score int `json:"score"`
	// OtherVendor is true for a model of another vendor than the hosts' in
	// a cluster of one vendor: libvirt's baseline never picks one.
	OtherVendor bool `json:"other_vendor,omitempty"`
	// UsableEverywhere is true when libvirt reported the model usable on every
	// host that reported usability; UsableUnknown counts the hosts that did not.
	UsableEverywhere bool `json:"usable_everywhere"`
	UsableUnknown    int  `json:"usable_unknown,omitempty"`
	// NotUsableIn lists the classes whose libvirt reported the model not
	// usable.
	NotUsableIn []string `json:"not_usable_in,omitempty"`
	Deprecated  bool     `json:"deprecated,omitempty"`
	// Versioned is true for libvirt's versioned models (x86_X-vN.xml),
	// which libvirt before VersionedModelsSince does not define.
	Versioned bool `json:"versioned,omitempty"`
	// BlockedClasses maps the ID of each class that cannot run the model to
	// the features it lacks (set when !Fits, for the candidates listed).
	BlockedClasses map[string][]string `json:"blocked_classes,omitempty"`
	// AliasOf is the canonical model when this one is an alias (e.g. -v1).
	AliasOf string `json:"alias_of,omitempty"`
	// Reason is a sentence explaining the rank.
	Reason string `json:"reason"`
}

// GroupFlags is the exact intersection of one inventory group's Linux flags.
type GroupFlags struct {
	Group string   `json:"group"`
	Hosts []string `json:"hosts"`
	// Flags is the sorted exact intersection, in Linux names.
	Flags []string `json:"flags"`
}

// Artifacts is the content of the brief's files (Linux names, one per line,
// sorted). File names are the keys of Files.
type Artifacts struct {
	// Files maps the brief's file name (e.g. "source.flags-lscpu.sorted",
	// "source-to-target.common.flags.list", "final-common.flags.list") to
	// its lines.
	Files map[string][]string `json:"files"`
	// SourceGroup is the group whose hosts make source.flags-lscpu.sorted;
	// TargetGroups are the groups whose hosts together make
	// target.flags-lscpu.sorted.
	SourceGroup  string   `json:"source_group"`
	TargetGroups []string `json:"target_groups,omitempty"`
}

// Result is what Compute returns: the common set, the base model, the extra
// flags in every form operators need, and why.
type Result struct {
	Hosts   []HostSummary `json:"hosts"`
	Vendors []string      `json:"vendors"`
	// MixedVendor is true when the hosts are not all of one vendor.
	MixedVendor bool `json:"mixed_vendor"`

	// Common is the exact intersection of the hosts' trusted features, in
	// libvirt names, sorted.
	Common []string `json:"common"`
	// Classes are the host classes, in ID order.
	Classes []HostClass `json:"classes"`
	// MissingClasses maps every feature some host has but not every host to
	// the IDs of the classes lacking it (their members: Classes).
	MissingClasses map[string][]string `json:"missing_classes"`

	// Model is the base model ("" when none fits).
	Model       string `json:"model"`
	ModelSource string `json:"model_source"`
	// ModelFeatures is the base model's CPUID feature set (libvirt names).
	ModelFeatures []string `json:"model_features,omitempty"`
	// ModelBlockers maps each host on which the base model cannot run to the
	// model features that host lacks (or that libvirt reported as blockers).
	// Non-empty means nova-compute refuses to start there.
	ModelBlockers map[string][]string `json:"model_blockers"`
	// ModelBlockedClasses is ModelBlockers by class ID.
	ModelBlockedClasses map[string][]string `json:"model_blocked_classes,omitempty"`
	// Candidates are the ranked models considered (top N), best first.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Rejected are the models that would leave fewer extra flags than the
	// base model but that some class cannot run (top N, nearest first),
	// with the blocking classes.
	Rejected []Candidate `json:"rejected,omitempty"`

	// ExtraFlags is Common − model features (− the instance's features when
	// given) − excluded, sorted: cpu_model_extra_flags.
	ExtraFlags []string `json:"extra_flags"`
	// DisabledFlags are the model's features disabled for guests (policy
	// 'disable', "-feature" in nova.conf), sorted: those some host lacks
	// when a model of the cluster's vendor runs only so (libvirt's own
	// baseline does this), or those the request disabled.
	DisabledFlags []string `json:"disabled_flags"`
	// RemovedFlags are the features libvirt's CPU map marks removed from the
	// base model that not every host has; libvirt disables them itself, so
	// they are neither required nor written to nova.conf.
	RemovedFlags []string `json:"removed_flags,omitempty"`
	// Excluded maps each common feature (libvirt name) left out of
	// ExtraFlags, other than the model's own, to why.
	Excluded map[string]featnames.Exclusion `json:"excluded"`
	// ExcludedLinux maps each Linux flag common to all hosts that has no
	// libvirt feature for a guest (constant_tsc, nopl, ...) to why; these
	// are the names the manual procedure would wrongly write to nova.conf.
	ExcludedLinux map[string]featnames.Exclusion `json:"excluded_linux"`
	// InstanceFlags are the test instance's features that were subtracted.
	InstanceFlags []string `json:"instance_flags,omitempty"`

	Warnings []string `json:"warnings"`
	// MissingHosts maps each hypervisor of the cluster that the baseline was
	// computed without (the operator allowed it) to why it is missing. The
	// model and flags were not checked against them.
	MissingHosts map[string]string `json:"missing_hosts,omitempty"`

	// NovaConf is the [libvirt] snippet for nova.conf.
	NovaConf string `json:"nova_conf"`
	// LibvirtXML is a libvirt domain <cpu> element.
	LibvirtXML string `json:"libvirt_xml"`
	// QEMUCPU is the argument of QEMU's -cpu.
	QEMUCPU string `json:"qemu_cpu"`

	// Groups maps an inventory group name to its Linux-flag intersection
	// (named groups only: a host without a group has its class's flags).
	Groups map[string]GroupFlags `json:"groups,omitempty"`
	// SourceToTarget is the exact intersection of all hosts' Linux flags.
	SourceToTarget []string `json:"source_to_target"`
	// FinalCommon is SourceToTarget minus the instance's Linux flags.
	FinalCommon []string `json:"final_common"`
	// Artifacts is the brief's files' content.
	Artifacts Artifacts `json:"artifacts"`

	// Explanation holds sentences for the report, in order.
	Explanation []string `json:"explanation"`

	// PreferredOver is the model of another vendor that runs whole on every
	// host and that the chosen model of the hosts' own vendor, with
	// DisabledFlags, was preferred over ("" when none).
	PreferredOver string `json:"preferred_over,omitempty"`
	// NotDisabled is the model of the hosts' own vendor, with its disabled
	// features, that a Nova able to disable features (Wallaby and later)
	// would have been given instead of Model (nil when none): the target
	// release cannot write "-feature", so the next choice was taken.
	NotDisabled *Candidate `json:"not_disabled,omitempty"`
	// NovaRelease is the target Nova release the choice was made for.
	NovaRelease string `json:"nova_release,omitempty"`
	// AssumedLibvirt is the libvirt version assumed for the hosts whose
	// facts carry neither libvirt's model list nor its version ("" when
	// every host's libvirt is known); versioned models need
	// VersionedModelsSince.
	AssumedLibvirt string `json:"assumed_libvirt,omitempty"`
	// AssumedFor names those hosts' classes.
	AssumedFor []string `json:"assumed_for,omitempty"`
}

// Class returns the class of that ID.
func (r *Result) Class(id string) (HostClass, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "c"))
	if err != nil || n < 1 || n > len(r.Classes) || r.Classes[n-1].ID != id {
		for _, c := range r.Classes {
			if c.ID == id {
				return c, true
			}
		}
		return HostClass{}, false
	}
	return r.Classes[n-1], true
}

// HostsLacking returns the sorted names of the hosts lacking feature (one of
// MissingClasses' keys); nil when every host has it.
func (r *Result) HostsLacking(feature string) []string {
	var out []string
	for _, id := range r.MissingClasses[feature] {
		if c, ok := r.Class(id); ok {
			out = append(out, c.Members...)
		}
	}
	sort.Strings(out)
	return out
}
