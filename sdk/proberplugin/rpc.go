package proberplugin

import (
	"errors"
	"net/rpc"

	"github.com/hashicorp/go-plugin"

	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// rpcPlugin is the go-plugin Plugin of a prober: the server side wraps the
// implementation, the client side is an RPC stub that implements
// prober.Prober.
type rpcPlugin struct{ impl prober.Prober }

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
	// Impl is the real implementation.
	Impl prober.Prober
}

// Info is the RPC method behind Prober.Info.
func (s *RPCServer) Info(_ struct{}, resp *prober.Info) error {
	i, err := s.Impl.Info()
	*resp = i
	return err
}

// Check is the RPC method behind Prober.Check.
func (s *RPCServer) Check(t prober.Trial, resp *prober.Outcome) error {
	o, err := s.Impl.Check(t)
	*resp = o
	return err
}

// rpcClient is the host's side: a prober.Prober that calls the plugin.
type rpcClient struct{ c *rpc.Client }

var _ prober.Prober = (*rpcClient)(nil)

func (c *rpcClient) Info() (prober.Info, error) {
	var i prober.Info
	err := c.c.Call("Plugin.Info", struct{}{}, &i)
	return i, err
}

func (c *rpcClient) Check(t prober.Trial) (prober.Outcome, error) {
	var o prober.Outcome
	err := c.c.Call("Plugin.Check", t, &o)
	return o, err
}
