// Command cpuflags-plugin-sitepolicy is an example external prober for the
// nova_cpu_flag_probe module: it applies a site deny-list, then asks libvirt
// the comparison the installed Nova runs (virsh cpu-compare or
// hypervisor-cpu-compare, as the trial says).
//
// Install it as <plugin_dir>/cpuflags-plugin-sitepolicy and use
// strategy: plugin:sitepolicy. plugin_options:
//
//	deny_list: /etc/cpuflags/deny.txt   # one flag per line, "# why" comments after it
//	libvirt:   "true"                   # "false" to apply the deny list only
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/proberplugin"
	"github.com/kvm-migration/cpuflags/internal/proberplugin/wire"
)

type sitePolicy struct{}

func (sitePolicy) Info() (wire.Info, error) {
	return wire.Info{Name: "sitepolicy", Description: "site deny-list, then libvirt's own comparison"}, nil
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
	return out, sc.Err()
}

func (sitePolicy) Check(t wire.Trial) (wire.Outcome, error) {
	deny, err := denyList(t.Options["deny_list"])
	if err != nil {
		return wire.Outcome{}, err
	}
	for _, f := range t.Flags {
		bare := strings.TrimLeft(strings.ToLower(f), "+-")
		if why, ok := deny[bare]; ok && !strings.HasPrefix(f, "-") {
			return wire.Outcome{Reason: fmt.Sprintf("site policy %s denies %s: %s", t.Options["deny_list"], bare, why)}, nil
		}
	}
	if t.Options["libvirt"] == "false" || t.Check == wire.CheckNone {
		return wire.Outcome{Accepted: true, Reason: "allowed by the site policy"}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := libvirt.Client{R: libvirt.Virsh{URI: t.LibvirtURI}}
	xml := libvirt.CustomCPUXML(t.Model, t.Flags)
	var v libvirt.Verdict
	if t.Check == wire.CheckCompareHypervisorCPU {
		v, err = c.CompareHypervisorCPU(ctx, xml, "")
	} else {
		v, err = c.CompareCPU(ctx, xml)
	}
	if err != nil {
		return wire.Outcome{}, err
	}
	return wire.Outcome{Accepted: v.Compatible, Reason: v.Message}, nil
}

func main() { proberplugin.Serve(sitePolicy{}) }
