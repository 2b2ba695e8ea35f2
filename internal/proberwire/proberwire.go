// Package proberwire is the line protocol between the nova_cpu_flag_probe
// module and the plugin host (cmd/cpuflags-prober-host): one JSON Request
// per line on the host's stdin, one JSON Response per line on its stdout,
// carrying the prober SDK's own types (package sdk/prober).
//
// It exists so that the module can reach an external prober without
// importing github.com/hashicorp/go-plugin (and with it gRPC): the module
// starts the host as a child process, and the host forwards each Trial to
// the prober over go-plugin's net/rpc transport (package sdk/proberplugin).
package proberwire

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

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
	Trial *prober.Trial `json:"trial,omitempty"`
}

// Response is one line the plugin host writes back.
type Response struct {
	// Info answers OpInfo.
	Info *prober.Info `json:"info,omitempty"`
	// Outcome answers OpCheck.
	Outcome *prober.Outcome `json:"outcome,omitempty"`
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
