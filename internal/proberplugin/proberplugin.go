// Package proberplugin is the go-plugin glue for external probers: the
// handshake, the plugin map and a net/rpc transport (no protobuf code
// generation). Only the plugin host (cmd/cpuflags-prober-host) and the
// prober executables import it; the Ansible module talks to the host with
// package wire, so it does not link go-plugin and gRPC.
//
// An external prober is an executable named cpuflags-plugin-NAME in the
// operator's plugin directory whose main calls Serve with an
// implementation of Prober.
package proberplugin

import (
	"errors"
	"fmt"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/hashicorp/go-plugin"

	"github.com/kvm-migration/cpuflags/internal/proberplugin/wire"
)

// Handshake is shared by host and probers; a prober started by anything
// else (by hand) says so and exits.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "CPUFLAGS_PROBER_PLUGIN",
	MagicCookieValue: "6f1d2f0e-nova-cpu-flag-probe",
}

// PluginName is the key of the prober in the plugin map.
const PluginName = "prober"

// FilePrefix starts the file name of every prober executable.
const FilePrefix = "cpuflags-plugin-"

// Prober is what an external prober implements.
type Prober interface {
	// Info names and describes the prober.
	Info() (wire.Info, error)
	// Check answers one trial; an error means no answer, not a refusal.
	Check(t wire.Trial) (wire.Outcome, error)
}

// PluginMap is the plugin set served and dispensed.
func PluginMap(impl Prober) map[string]plugin.Plugin {
	return map[string]plugin.Plugin{PluginName: &rpcPlugin{impl: impl}}
}

// Serve runs impl as a prober plugin; call it from the prober's main.
func Serve(impl Prober) {
	plugin.Serve(&plugin.ServeConfig{HandshakeConfig: Handshake, Plugins: PluginMap(impl)})
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Path returns the executable of prober name in dir, after checking that
// it is a regular executable file not writable by group or others and
// owned by root or the current user (the module runs as root).
func Path(dir, name string) (string, error) {
	if !nameRE.MatchString(name) {
		return "", fmt.Errorf("plugin name %q: use lower-case letters, digits, - and _", name)
	}
	p := filepath.Join(dir, FilePrefix+name)
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("plugin %s: %w (expected the executable %s in plugin_dir)", name, err, p)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("plugin %s: %s is not an executable file", name, p)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return "", fmt.Errorf("plugin %s: %s is writable by group or others (mode %v); chmod go-w it", name, p, fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Getuid() {
		return "", fmt.Errorf("plugin %s: %s is owned by uid %d, not root; chown it", name, p, st.Uid)
	}
	return p, nil
}

// Client is a loaded prober; Kill ends it.
type Client struct {
	// Prober is the RPC stub.
	Prober Prober
	c      *plugin.Client
}

// Kill stops the prober process.
func (c *Client) Kill() { c.c.Kill() }

// Load starts prober name from dir and dispenses it.
func Load(dir, name string) (*Client, error) {
	p, err := Path(dir, name)
	if err != nil {
		return nil, err
	}
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          PluginMap(nil),
		Cmd:              exec.Command(p),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC},
		SyncStderr:       os.Stderr,
	})
	rc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, fmt.Errorf("start plugin %s (%s): %w", name, p, err)
	}
	raw, err := rc.Dispense(PluginName)
	if err != nil {
		c.Kill()
		return nil, fmt.Errorf("plugin %s: %w", name, err)
	}
	pr, ok := raw.(Prober)
	if !ok {
		c.Kill()
		return nil, fmt.Errorf("plugin %s: dispensed %T, not a prober", name, raw)
	}
	return &Client{Prober: pr, c: c}, nil
}

type rpcPlugin struct{ impl Prober }

func (p *rpcPlugin) Server(*plugin.MuxBroker) (any, error) {
	if p.impl == nil {
		return nil, errors.New("no prober implementation to serve")
	}
	return &RPCServer{Impl: p.impl}, nil
}

func (p *rpcPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (any, error) {
	return &rpcClient{c: c}, nil
}

// RPCServer exposes a Prober over net/rpc (exported for net/rpc's reflection).
type RPCServer struct {
	// Impl is the prober.
	Impl Prober
}

// Info is the RPC method behind Prober.Info.
func (s *RPCServer) Info(_ struct{}, resp *wire.Info) error {
	i, err := s.Impl.Info()
	*resp = i
	return err
}

// Check is the RPC method behind Prober.Check.
func (s *RPCServer) Check(t wire.Trial, resp *wire.Outcome) error {
	o, err := s.Impl.Check(t)
	*resp = o
	return err
}

type rpcClient struct{ c *rpc.Client }

func (c *rpcClient) Info() (wire.Info, error) {
	var i wire.Info
	err := c.c.Call("Plugin.Info", struct{}{}, &i)
	return i, err
}

func (c *rpcClient) Check(t wire.Trial) (wire.Outcome, error) {
	var o wire.Outcome
	err := c.c.Call("Plugin.Check", t, &o)
	return o, err
}
