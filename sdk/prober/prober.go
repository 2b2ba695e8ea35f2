// Package prober is what an external prober for the nova_cpu_flag_probe
// module is: the Prober interface and the Trial, Outcome and Info it speaks.
// It knows nothing about transport; package
// github.com/kvm-migration/cpuflags/sdk/proberplugin serves a Prober over
// go-plugin and loads one.
//
// It imports only the standard library, so that the module Ansible copies to
// every hypervisor for every task can share these types without linking
// go-plugin and gRPC.
//
// A site writes a prober like this (examples/prober is a whole one, built as
// a module of its own):
//
//	type sitePolicy struct{}
//
//	func (sitePolicy) Info() (prober.Info, error) { return prober.Info{Name: "sitepolicy"}, nil }
//
//	func (sitePolicy) Check(t prober.Trial) (prober.Outcome, error) {
//		// Accepted, or a Reason in the words of whoever refused.
//	}
//
//	func main() { proberplugin.Serve(sitePolicy{}) }
package prober

// Prober is what an external prober implements.
type Prober interface {
	// Info names and describes the prober.
	Info() (Info, error)
	// Check answers one trial. Return an error when there is no answer
	// (libvirt unreachable, a policy file missing), never for a refusal: a
	// refusal is an Outcome with Accepted false and a Reason.
	Check(t Trial) (Outcome, error)
}

// Checks name the comparison nova-compute runs at start-up (Trial.Check).
const (
	// CheckCompareCPU is libvirt's compareCPU (host CPUID), Nova Zed (26) and older.
	CheckCompareCPU = "compareCPU"
	// CheckCompareHypervisorCPU is libvirt's compareHypervisorCPU, Nova 2023.1 (27) and later.
	CheckCompareHypervisorCPU = "compareHypervisorCPU"
	// CheckNone means nova-compute runs no start-up CPU check (virt_type is not kvm,
	// or [workarounds] skip_cpu_compare_at_startup is true).
	CheckNone = "none"
)

// Trial is one question: would nova-compute accept this base model with these
// extra flags?
type Trial struct {
	// Model is the [libvirt] cpu_models entry, e.g. "Westmere".
	Model string `json:"model"`
	// Flags are libvirt feature names, optionally prefixed with + (require) or - (disable).
	Flags []string `json:"flags"`
	// Check is the comparison the installed Nova runs (one of the Check constants).
	Check string `json:"check"`
	// LibvirtURI is the connection URI nova-compute uses.
	LibvirtURI string `json:"libvirt_uri,omitempty"`
	// Options are the operator's plugin_options, passed through unchanged.
	Options map[string]string `json:"options,omitempty"`
}

// Outcome is a prober's answer to a Trial.
type Outcome struct {
	// Accepted is true when the prober predicts (or saw) nova-compute accept the trial.
	Accepted bool `json:"accepted"`
	// Reason is the refusal in the words of whoever refused (libvirt, Nova, a site policy).
	Reason string `json:"reason,omitempty"`
}

// Info describes an external prober.
type Info struct {
	// Name is the prober's name (the NAME of strategy plugin:NAME).
	Name string `json:"name"`
	// Description says what the prober asks and why.
	Description string `json:"description,omitempty"`
}
