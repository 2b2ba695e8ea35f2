// Package libvirt asks a hypervisor's libvirt, through the virsh command (no
// cgo), what it can give guests: its versions, its domain capabilities (which
// named CPU models are usable and why not), the fully expanded host-model CPU,
// and whether a custom guest CPU passes the same comparison nova-compute runs
// at start-up (compareCPU up to Zed, compareHypervisorCPU from 2023.1).
//
// libvirt's view is the one that matters: on a nested-KVM host /proc/cpuinfo
// lists features that KVM cannot pass on to guests, and only domcapabilities
// and the hypervisor-* commands say so.
package libvirt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Runner runs virsh with args, feeding stdin (nil for none) to it, and returns
// its standard output. A non-zero exit is reported as an *ExitError that also
// carries standard error; any other error means virsh could not be run.
type Runner interface {
	Run(ctx context.Context, stdin []byte, args ...string) ([]byte, error)
}

// ErrVirshNotFound is wrapped by errors returned when the virsh binary is missing.
var ErrVirshNotFound = errors.New("virsh not found")

// ErrUnreachable is wrapped by errors returned when virsh ran but could not
// reach libvirt (daemon not running, wrong URI, no permission on the socket)
// or did not answer in time.
var ErrUnreachable = errors.New("libvirt unreachable")

// ExitError reports that virsh ran and exited with a non-zero status.
type ExitError struct {
	// Args are the arguments given to virsh (without the -c URI prefix).
	Args []string
	// ExitCode is virsh's exit status.
	ExitCode int
	// Stderr is what virsh wrote to standard error.
	Stderr []byte
}

// Error implements error; it includes virsh's standard error.
func (e *ExitError) Error() string {
	msg := strings.TrimSpace(string(e.Stderr))
	if msg == "" {
		msg = "(no message on stderr)"
	}
	return fmt.Sprintf("virsh %s: exit status %d: %s", strings.Join(e.Args, " "), e.ExitCode, msg)
}

// DefaultURI is the connection nova-compute and virsh use for KVM unless
// told otherwise ([libvirt] connection_uri, virsh -c).
const DefaultURI = "qemu:///system"

// Virsh runs the virsh binary via os/exec. It implements Runner.
type Virsh struct {
	// Path is the virsh binary; "" means "virsh" looked up in PATH.
	Path string
	// URI is the libvirt connection URI passed with -c, e.g. qemu:///system;
	// "" lets virsh pick its default.
	URI string
}

// Run implements Runner. virsh runs with LC_ALL=C so that its messages, which
// Client parses, are in English. Cancelling ctx kills virsh.
func (v Virsh) Run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	path := v.Path
	if path == "" {
		path = "virsh"
	}
	full := make([]string, 0, len(args)+2)
	if v.URI != "" {
		full = append(full, "-c", v.URI)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, path, full...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "LANGUAGE=C")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return stdout.Bytes(), fmt.Errorf("virsh %s: %w: %w (libvirtd may be hung; check it with `virsh -c %s version`)",
			strings.Join(args, " "), ErrUnreachable, ctxErr, v.uriOrDefault())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stdout.Bytes(), &ExitError{Args: append([]string(nil), args...), ExitCode: ee.ExitCode(), Stderr: stderr.Bytes()}
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("run %s: %w: %w (install libvirt-clients on Debian/Ubuntu or libvirt-client on RHEL, or set the virsh path)",
			path, ErrVirshNotFound, err)
	}
	return nil, fmt.Errorf("run %s %s: %w", path, strings.Join(args, " "), err)
}

func (v Virsh) uriOrDefault() string {
	if v.URI == "" {
		return DefaultURI
	}
	return v.URI
}
