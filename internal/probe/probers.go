package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kvm-migration/cpuflags/internal/libvirt"
	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// LibvirtProber asks libvirt the question nova-compute asks at start-up,
// without restarting anything.
type LibvirtProber struct {
	// Client reaches libvirt (usually libvirt.Client{R: libvirt.Virsh{URI: ...}}).
	Client libvirt.Client
	// Compare is prober.CheckCompareCPU, prober.CheckCompareHypervisorCPU or prober.CheckNone.
	Compare string
}

// Name implements Prober.
func (l *LibvirtProber) Name() string { return "libvirt " + l.Compare }

// Check implements Prober.
func (l *LibvirtProber) Check(ctx context.Context, t prober.Trial) (prober.Outcome, error) {
	xml := libvirt.CustomCPUXML(t.Model, t.Flags)
	var v libvirt.Verdict
	var err error
	switch l.Compare {
	case prober.CheckCompareCPU:
		v, err = l.Client.CompareCPU(ctx, xml)
	case prober.CheckCompareHypervisorCPU:
		v, err = l.Client.CompareHypervisorCPU(ctx, xml, "")
	case prober.CheckNone:
		return prober.Outcome{Accepted: true, Reason: "nova-compute runs no start-up CPU check here (virt_type is not kvm or skip_cpu_compare_at_startup is set)"}, nil
	default:
		return prober.Outcome{}, fmt.Errorf("libvirt prober: unknown check %q (use %s or %s)", l.Compare, prober.CheckCompareCPU, prober.CheckCompareHypervisorCPU)
	}
	if err != nil {
		return prober.Outcome{}, err
	}
	return prober.Outcome{Accepted: v.Compatible, Reason: v.Message}, nil
}

// ErrUnstable is wrapped when nova-compute stops without its CPU check
// refusing anything (killed, crashed, timed out) twice in a row.
var ErrUnstable = errors.New("nova-compute stopped without refusing the CPU configuration")

// NovaProber writes each trial into nova.conf, restarts nova-compute and
// watches whether it survives its start-up CPU check.
type NovaProber struct {
	// ConfPath is nova.conf.
	ConfPath string
	// Original is nova.conf's content before the probe; every trial edits it.
	Original []byte
	// Controller restarts nova-compute.
	Controller novaservice.Controller
	// LogPath is nova-compute's log.
	LogPath string
	// Timeout bounds one restart-and-wait.
	Timeout time.Duration
	// Wait tunes novaservice.WaitAccepted.
	Wait novaservice.WaitOptions
	// ModelsKey is cpu_models, or cpu_model for Nova before Train ("": cpu_models).
	ModelsKey string
	// BeforeRestart, when set, is called before each restart (tests inject faults here).
	BeforeRestart func()
	// BeforeWrite, when set, is called with each content before it is
	// written to nova.conf (the probe notes it in its journal); an error
	// stops the trial before the write.
	BeforeWrite func(content []byte) error

	restarts int
	// current is the nova.conf content nova-compute was last restarted on,
	// and running says whether it accepted it and is running.
	current []byte
	running bool
}

// Name implements Prober.
func (n *NovaProber) Name() string { return "nova-compute restart" }

// RestartCount returns how many restarts the prober has made.
func (n *NovaProber) RestartCount() int { return n.restarts }

// RenderCPU returns orig with [libvirt] cpu_mode=custom, cpu_models=model and
// cpu_model_extra_flags=flags (removed when flags is empty).
//
// modelsKey is the option that names the model: cpu_models, or cpu_model for
// Nova before Train ("" is cpu_models).
func RenderCPU(orig []byte, model string, flags []string, modelsKey string) ([]byte, error) {
	f, err := novaconf.Parse(orig)
	if err != nil {
		return nil, fmt.Errorf("parse nova.conf: %w", err)
	}
	// SetCPU's errors already say "set [libvirt] CPU options".
	out, _, err := f.SetCPU(novaconf.CPUSettings{
		Mode: "custom", Models: []string{model}, ExtraFlags: flags, ModelsKey: modelsKey,
		Present: map[string]bool{novaconf.KeyMode: true, novaconf.KeyModels: true, novaconf.KeyExtraFlags: len(flags) > 0},
	})
	return out, err
}

// Check implements Prober. A stop without InvalidCPUInfo is not a refusal:
// the restart is tried once more, and a second such stop is ErrUnstable.
func (n *NovaProber) Check(ctx context.Context, t prober.Trial) (prober.Outcome, error) {
	content, err := RenderCPU(n.Original, t.Model, t.Flags, n.ModelsKey)
	if err != nil {
		return prober.Outcome{}, err
	}
	if n.BeforeWrite != nil {
		if err := n.BeforeWrite(content); err != nil {
			return prober.Outcome{}, err
		}
	}
	if _, err := novaconf.WriteAtomic(n.ConfPath, content, false); err != nil {
		return prober.Outcome{}, err
	}
	var seen []string
	for attempt := 1; attempt <= 2; attempt++ {
		v, err := n.RestartOn(ctx, content)
		if err != nil {
			return prober.Outcome{}, err
		}
		note := ""
		if len(seen) > 0 {
			note = " (restarted again after " + strings.Join(seen, "; ") + ")"
		}
		if v.Accepted {
			return prober.Outcome{Accepted: true, Reason: v.Reason + note}, nil
		}
		if i := strings.Index(v.Reason, novaservice.RefuseMarker); i >= 0 {
			return prober.Outcome{Reason: v.Reason[i:] + note}, nil
		}
		seen = append(seen, fmt.Sprintf("attempt %d: %s", attempt, v.Reason))
		if ctx.Err() != nil {
			break
		}
	}
	return prober.Outcome{}, fmt.Errorf("%w: %s", ErrUnstable, strings.Join(seen, "; "))
}

// RestartOn restarts nova-compute (nova.conf must already hold content) and
// waits for its verdict.
func (n *NovaProber) RestartOn(ctx context.Context, content []byte) (novaservice.Verdict, error) {
	if n.BeforeRestart != nil {
		n.BeforeRestart()
	}
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = 180 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	n.restarts++
	n.current, n.running = bytes.Clone(content), false
	v, err := novaservice.RestartAndWait(wctx, n.Controller, n.LogPath, n.Wait)
	if err != nil {
		return v, err
	}
	n.running = v.Accepted
	return v, nil
}

// RunningOn reports whether nova-compute was last restarted on content and accepted it.
func (n *NovaProber) RunningOn(content []byte) bool {
	return n.running && bytes.Equal(n.current, content)
}
