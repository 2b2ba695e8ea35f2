// Command cpuflags-plugin-sitepolicy is an example external prober for the
// nova_cpu_flag_probe module: it applies a site deny-list, then asks libvirt
// the comparison the installed Nova runs (virsh cpu-compare or
// hypervisor-cpu-compare, as the trial says).
//
// It is a Go module of its own, as a site's prober would be: it imports only
// the collection's public prober SDK (sdk/prober for the interface,
// sdk/proberplugin to serve it). Build it with
//
//	go build -o cpuflags-plugin-sitepolicy .
//
// install it as <plugin_dir>/cpuflags-plugin-sitepolicy (root-owned, not
// group or world writable) and use strategy: plugin:sitepolicy.
// plugin_options:
//
//	deny_list: /etc/cpuflags/deny.txt   # one flag per line, "# why" comments after it
//	libvirt:   "true"                   # "false" to apply the deny list only
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/kvm-migration/cpuflags/sdk/prober"
	"github.com/kvm-migration/cpuflags/sdk/proberplugin"
)

type sitePolicy struct{}

// The compiler checks that sitePolicy is a prober.
var _ prober.Prober = sitePolicy{}

func (sitePolicy) Info() (prober.Info, error) {
	return prober.Info{Name: "sitepolicy", Description: "site deny-list, then libvirt's own comparison"}, nil
}

// denyList reads "flag  # reason" lines.
func denyList(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("deny list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, why, _ := strings.Cut(sc.Text(), "#")
		flag := strings.ToLower(strings.TrimSpace(line))
		if flag != "" {
			out[flag] = strings.TrimSpace(why)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("deny list %s: %w", path, err)
	}
	return out, nil
}

func (sitePolicy) Check(t prober.Trial) (prober.Outcome, error) {
	deny, err := denyList(t.Options["deny_list"])
	if err != nil {
		return prober.Outcome{}, err
	}
	for _, f := range t.Flags {
		bare := strings.TrimLeft(strings.ToLower(f), "+-")
		if why, ok := deny[bare]; ok && !strings.HasPrefix(f, "-") {
			return prober.Outcome{Reason: fmt.Sprintf("site policy %s denies %s: %s", t.Options["deny_list"], bare, why)}, nil
		}
	}
	if t.Options["libvirt"] == "false" || t.Check == prober.CheckNone {
		return prober.Outcome{Accepted: true, Reason: "allowed by the site policy"}, nil
	}
	return askLibvirt(t)
}

func main() { proberplugin.Serve(sitePolicy{}) }
