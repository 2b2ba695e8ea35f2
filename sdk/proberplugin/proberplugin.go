// Package proberplugin serves and loads external probers for the
// nova_cpu_flag_probe module over github.com/hashicorp/go-plugin: the
// handshake, the plugin map, Serve for the prober's main and Load for the
// host, on go-plugin's net/rpc transport (no protobuf code generation). The
// interface it carries is package
// github.com/kvm-migration/cpuflags/sdk/prober.
//
// An external prober is an executable named cpuflags-plugin-NAME in the
// operator's plugin directory (the module's plugin_dir) whose main calls
// Serve with an implementation of prober.Prober; strategy plugin:NAME uses
// it. The module does not import this package: it talks to
// cpuflags-prober-host, the one program that links go-plugin and gRPC, which
// loads the prober with Load.
package proberplugin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/hashicorp/go-plugin"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// Handshake is shared by host and probers. It is a UX feature, not a
// security feature: a prober started by anything else (by hand) says so and
// exits, and a host and prober of different protocol versions refuse each
// other.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "CPUFLAGS_PROBER_PLUGIN",
	MagicCookieValue: "6f1d2f0e-nova-cpu-flag-probe",
}

// PluginName is the key of the prober in the plugin map.
const PluginName = "prober"

// FilePrefix starts the file name of every prober executable.
const FilePrefix = "cpuflags-plugin-"

// PluginMap is the plugin set served (impl set) and dispensed (impl nil).
func PluginMap(impl prober.Prober) map[string]plugin.Plugin {
	return map[string]plugin.Plugin{PluginName: &rpcPlugin{impl: impl}}
}

// Serve runs impl as a prober plugin; call it from the prober's main. It
// returns when the host ends the prober.
func Serve(impl prober.Prober) {
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
	Prober prober.Prober
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
	pr, ok := raw.(prober.Prober)
	if !ok {
		c.Kill()
		return nil, fmt.Errorf("plugin %s: dispensed %T, not a prober", name, raw)
	}
	return &Client{Prober: pr, c: c}, nil
}
