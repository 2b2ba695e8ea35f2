package probe

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// dieMidProbe leaves what a probe killed mid-trial leaves: the journal
// armed (in the given format), nova.conf holding content, the lock free.
// noted says whether the probe noted content before writing it.
func dieMidProbe(t *testing.T, conf string, o Options, content string, noted bool, format int) {
	t.Helper()
	g, err := Lock(context.Background(), conf, time.Second)
	noErr(t, err)
	noErr(t, g.Arm([]byte(origConf), o.Service, time.Minute))
	if noted {
		noErr(t, g.NoteWrite([]byte(content)))
	}
	if format != journalFormat {
		j, err := ReadJournal(JournalPath(conf))
		noErr(t, err)
		j.Format, j.WrittenSHA256 = format, nil
		data, _ := json.Marshal(j)
		noErr(t, os.WriteFile(JournalPath(conf), data, 0o600))
	}
	noErr(t, os.WriteFile(conf, []byte(content), 0o640))
	g.Unlock()
}

// TestRunStaleJournalKinds: the next run restores nova.conf only when it
// holds what the dead probe wrote (or the journal is too old to say); a
// nova.conf changed by something else after the probe died is kept, and
// nova-compute is restarted only if it is not running.
func TestRunStaleJournalKinds(t *testing.T) {
	const trial = origConf + "cpu_model_extra_flags = avx512f\n"
	const foreign = origConf + "# changed by configuration management after the probe died\n"
	tests := []struct {
		name         string
		content      string
		noted        bool
		format       int
		running      bool
		wantConf     string
		wantRestored bool
		wantForeign  bool
		wantRestarts int
	}{
		{name: "the probe's trial is restored", content: trial, noted: true, format: journalFormat,
			wantConf: origConf, wantRestored: true, wantRestarts: 1},
		{name: "an old journal restores whatever it finds", content: foreign, format: 0,
			wantConf: origConf, wantRestored: true, wantRestarts: 1},
		{name: "a foreign change with nova-compute running is kept, no restart", content: foreign, format: journalFormat, running: true,
			wantConf: foreign, wantForeign: true, wantRestarts: 0},
		{name: "a foreign change with nova-compute stopped is kept and nova-compute started", content: foreign, format: journalFormat,
			wantConf: foreign, wantForeign: true, wantRestarts: 1},
		{name: "the original back is only restarted on", content: origConf, format: journalFormat,
			wantConf: origConf, wantRestarts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, ctl, o := setup(t)
			dieMidProbe(t, conf, o, tt.content, tt.noted, tt.format)
			ctl.running = tt.running
			j, err := ReadJournal(JournalPath(conf))
			noErr(t, err)

			o.Strategy, o.Candidates = StrategyLibvirt, []string{"pcid"}
			rep, err := Run(context.Background(), o)
			noErr(t, err)
			length(t, rep.Recovered, 1, "the stale journal is recovered and reported")
			r := rep.Recovered[0]
			eq(t, tt.wantRestored, r.Restored, "restored")
			eq(t, tt.wantForeign, r.Foreign, "foreign")
			eq(t, true, r.Accepted, "nova-compute runs after the recovery")
			got, _ := os.ReadFile(conf)
			eq(t, tt.wantConf, string(got))
			eq(t, tt.wantRestarts, ctl.restarts, "restarts")
			eq(t, true, ctl.running, "nova-compute ends running")
			if _, err := os.Stat(JournalPath(conf)); !os.IsNotExist(err) {
				t.Error("journal left behind")
			}
			_, err = os.Stat(j.Backup)
			eq(t, tt.wantForeign, err == nil, "the backup is kept only when nova.conf was left as it is")
			if tt.wantForeign {
				has(t, r.Reason, "changed by something else")
			}
		})
	}
}

// TestJournalNotesEveryWrite: at every restart of a real probe run the
// content in nova.conf is the original or one the journal lists, so a kill
// at any point is recovered by restoring the backup.
func TestJournalNotesEveryWrite(t *testing.T) {
	conf, ctl, o := setup(t, "avx512f")
	o.Strategy, o.Apply, o.Candidates = StrategyOneByOne, true, []string{"pcid", "avx512f", "x2apic"}
	checked := 0
	o.BeforeRestart = func() {
		j, err := ReadJournal(JournalPath(conf))
		if err != nil || j == nil {
			t.Errorf("no journal before a restart: %v", err)
			return
		}
		cur, _ := os.ReadFile(conf)
		if h := sha(cur); h != j.OriginalSHA256 && !j.wrote(h) {
			t.Errorf("nova.conf holds content the journal does not list:\n%s", cur)
		}
		checked++
	}
	rep, err := Run(context.Background(), o)
	noErr(t, err)
	eq(t, []string{"pcid", "x2apic"}, rep.Accepted)
	eq(t, ctl.restarts, checked, "every restart checked")
	if checked < 3 {
		t.Errorf("only %d restarts checked", checked)
	}
}
