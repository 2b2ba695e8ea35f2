// Command cpuflags-prober-host loads one external prober (an executable
// cpuflags-plugin-NAME in a plugin directory) through
// github.com/hashicorp/go-plugin and relays the nova_cpu_flag_probe
// module's questions to it: one JSON request per line on stdin, one JSON
// answer per line on stdout (package internal/proberwire). It exists so that
// only this program, copied to a hypervisor once when a plugin is
// configured, carries go-plugin and gRPC, not the module that Ansible copies
// for every task.
//
//	cpuflags-prober-host --plugin-dir DIR --plugin NAME
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kvm-migration/cpuflags/internal/proberwire"
	"github.com/kvm-migration/cpuflags/sdk/proberplugin"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cpuflags-prober-host", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("plugin-dir", "", "directory holding cpuflags-plugin-NAME executables")
	name := fs.String("plugin", "", "NAME of the prober to load")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || *name == "" {
		fmt.Fprintln(stderr, "cpuflags-prober-host: --plugin-dir and --plugin are required; it is started by the nova_cpu_flag_probe module")
		return 2
	}
	c, err := proberplugin.Load(*dir, *name)
	if err != nil {
		fmt.Fprintln(stderr, "cpuflags-prober-host:", err)
		return 1
	}
	defer c.Kill()
	codec := proberwire.NewCodec(stdin, stdout)
	for {
		var req proberwire.Request
		err := codec.Read(&req)
		if errors.Is(err, io.EOF) {
			return 0
		}
		var resp proberwire.Response
		switch {
		case err != nil:
			resp.Error = err.Error()
		case req.Validate() != nil:
			resp.Error = req.Validate().Error()
		case req.Op == proberwire.OpInfo:
			i, err := c.Prober.Info()
			if err != nil {
				resp.Error = err.Error()
			} else {
				resp.Info = &i
			}
		default:
			o, err := c.Prober.Check(*req.Trial)
			if err != nil {
				resp.Error = err.Error()
			} else {
				resp.Outcome = &o
			}
		}
		if err := codec.Write(resp); err != nil {
			fmt.Fprintln(stderr, "cpuflags-prober-host:", err)
			return 1
		}
	}
}
