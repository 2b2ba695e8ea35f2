package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	conf, ctl, o := setup(t)
	vo := VerifyOptions{ConfPath: conf, Service: o.Service, Controller: ctl, Grace: 50 * time.Millisecond}

	msg, err := Verify(context.Background(), VerifyOptions{ConfPath: conf, Service: o.Service, Controller: ctl, CheckMode: true})
	noErr(t, err)
	has(t, msg, "check mode", "check mode verifies nothing")

	_, err = Verify(context.Background(), vo)
	if err == nil || !strings.Contains(err.Error(), o.Service.LogPath) {
		t.Errorf("stopped nova-compute: err = %v, want one naming its log", err)
	}

	ctl.running = true
	msg, err = Verify(context.Background(), vo)
	noErr(t, err)
	eq(t, "nova-compute runs and stayed up for 50ms", msg)

	g, err := Lock(context.Background(), conf, time.Second)
	noErr(t, err)
	noErr(t, g.Arm([]byte(origConf), o.Service, time.Minute))
	g.Unlock()
	_, err = Verify(context.Background(), vo)
	if err == nil || !strings.Contains(err.Error(), "mode=restore") {
		t.Errorf("journal left: err = %v, want one pointing to mode=restore", err)
	}
}

func TestRestore(t *testing.T) {
	edited := origConf + "cpu_model_extra_flags = avx512f\n"
	tests := []struct {
		name, reason   string
		conf           string // nova.conf before; the backup is origConf
		running        bool
		bad            []string
		checkMode      bool
		wantConf       string
		wantChanged    bool
		wantRestarts   int
		wantMsg        string
		wantErr        string
		wantDiff       bool
		wantReasonText string
	}{
		{name: "restores and restarts", reason: "the backup differs: written back, nova-compute restarted on it",
			conf: edited, running: true, wantConf: origConf, wantChanged: true, wantRestarts: 1, wantDiff: true,
			wantMsg: "nova.conf restored and nova-compute accepted it"},
		{name: "nothing to do", reason: "same content and running: no restart",
			conf: origConf, running: true, wantConf: origConf, wantMsg: "nova.conf is the previous configuration and nova-compute runs"},
		{name: "restarts a stopped service", reason: "same content but stopped: one restart",
			conf: origConf, wantConf: origConf, wantChanged: true, wantRestarts: 1, wantMsg: "nova.conf restored and nova-compute accepted it"},
		{name: "check mode", reason: "says what it would do, changes nothing",
			conf: edited, running: true, checkMode: true, wantConf: edited, wantChanged: true, wantDiff: true,
			wantMsg: "would restore"},
		{name: "refused too", reason: "nova-compute refuses the previous configuration: the reason is reported",
			conf: edited, bad: []string{"Westmere"}, wantConf: origConf, wantChanged: true, wantRestarts: 1, wantDiff: true,
			wantErr: "refuses the restored configuration too", wantReasonText: "InvalidCPUInfo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, ctl, o := setup(t, tt.bad...)
			backup := filepath.Join(filepath.Dir(conf), "nova.conf.bak")
			noErr(t, os.WriteFile(backup, []byte(origConf), 0o640))
			noErr(t, os.WriteFile(conf, []byte(tt.conf), 0o640))
			ctl.running = tt.running
			rep, err := Restore(context.Background(), RestoreOptions{ConfPath: conf, Backup: backup, Service: o.Service, Controller: ctl,
				Timeout: 10 * time.Second, Wait: o.Wait, CheckMode: tt.checkMode})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q; reason: %s", err, tt.wantErr, tt.reason)
				}
				has(t, rep.Reason, tt.wantReasonText, tt.reason)
			} else {
				noErr(t, err, tt.reason)
				has(t, rep.Msg, tt.wantMsg, tt.reason)
			}
			got, _ := os.ReadFile(conf)
			eq(t, tt.wantConf, string(got), tt.reason)
			eq(t, tt.wantChanged, rep.Changed, tt.reason)
			eq(t, tt.wantRestarts, ctl.restarts, tt.reason)
			eq(t, tt.wantDiff, rep.Diff != "", "diff: "+tt.reason)
		})
	}
}
