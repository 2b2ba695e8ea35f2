package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// ConfPath is nova.conf (a probe journal beside it means a probe died).
	ConfPath string
	// Service controls nova-compute; Service.LogPath is named on failure.
	Service novaservice.Spec
	// Controller overrides novaservice.New(Service) (tests).
	Controller novaservice.Controller
	// Grace is how long nova-compute must keep running.
	Grace time.Duration
	// CheckMode verifies nothing: nothing was restarted.
	CheckMode bool
}

// Verify checks that nova-compute runs and keeps running for the grace
// period, and that no stale probe journal is left; it returns what it saw.
// The rollout role's handler runs it after a change.
func Verify(ctx context.Context, o VerifyOptions) (string, error) {
	if o.CheckMode {
		return "check mode: nothing was restarted, so there is nothing to verify", nil
	}
	ctl, err := controller(o.Controller, o.Service)
	if err != nil {
		return "", err
	}
	if j, _ := ReadJournal(JournalPath(o.ConfPath)); j != nil {
		return "", fmt.Errorf("a probe journal is left next to %s (a probe died); run with mode=restore to recover", o.ConfPath)
	}
	deadline := time.Now().Add(o.Grace)
	for {
		up, err := ctl.Running(ctx)
		if err != nil {
			return "", fmt.Errorf("ask whether nova-compute runs: %w", err)
		}
		if !up {
			return "", fmt.Errorf("nova-compute is not running; see %s for its last error", o.Service.LogPath)
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return fmt.Sprintf("nova-compute runs and stayed up for %s", o.Grace), nil
}

// controller returns ctl, or the controller svc describes when ctl is nil.
func controller(ctl novaservice.Controller, svc novaservice.Spec) (novaservice.Controller, error) {
	if ctl != nil {
		return ctl, nil
	}
	return novaservice.New(svc)
}
