// Package wire is the stdlib-only vocabulary shared by the nova_cpu_flag_probe
// module, the plugin host (cmd/cpuflags-prober-host) and external probers.
//
// It exists so that the module can talk to the plugin host without importing
// github.com/hashicorp/go-plugin (and with it gRPC): the module starts the
// host as a child process and exchanges one JSON object per line on the
// host's stdin and stdout. The host forwards each Trial to the external
// prober over go-plugin's net/rpc transport.
package wire

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Checks name the comparison nova-compute runs at start-up.
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

// Ops of a Request.
const (
	// OpInfo asks for the prober's Info.
	OpInfo = "info"
	// OpCheck asks for the Outcome of Request.Trial.
	OpCheck = "check"
)

// Request is one line the module writes to the plugin host.
type Request struct {
	// Op is OpInfo or OpCheck.
	Op string `json:"op"`
	// Trial is set for OpCheck.
	Trial *Trial `json:"trial,omitempty"`
}

// Response is one line the plugin host writes back.
type Response struct {
	// Info answers OpInfo.
	Info *Info `json:"info,omitempty"`
	// Outcome answers OpCheck.
	Outcome *Outcome `json:"outcome,omitempty"`
	// Error is set when the prober could not answer (not a refusal).
	Error string `json:"error,omitempty"`
}

// MaxLine bounds one JSON line (requests and responses are small).
const MaxLine = 1 << 20

// Codec reads and writes JSON lines.
type Codec struct {
	r *bufio.Scanner
	w io.Writer
}

// NewCodec returns a Codec reading from r and writing to w.
func NewCodec(r io.Reader, w io.Writer) *Codec {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	return &Codec{r: sc, w: w}
}

// Write encodes v as one line.
func (c *Codec) Write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	if _, err := c.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write %T: %w", v, err)
	}
	return nil
}

// Read decodes the next line into v. It returns io.EOF at the end of input.
func (c *Codec) Read(v any) error {
	if !c.r.Scan() {
		if err := c.r.Err(); err != nil {
			return fmt.Errorf("read line: %w", err)
		}
		return io.EOF
	}
	if err := json.Unmarshal(c.r.Bytes(), v); err != nil {
		return fmt.Errorf("decode %T from line %q: %w", v, clip(c.r.Bytes()), err)
	}
	return nil
}

// ErrBadRequest is wrapped by Validate errors.
var ErrBadRequest = errors.New("bad request")

// Validate checks that a request names a known op and carries what it needs.
func (r Request) Validate() error {
	switch r.Op {
	case OpInfo:
		return nil
	case OpCheck:
		if r.Trial == nil || r.Trial.Model == "" {
			return fmt.Errorf("%w: op check needs a trial with a model", ErrBadRequest)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown op %q (use %q or %q)", ErrBadRequest, r.Op, OpInfo, OpCheck)
}

func clip(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}
