package probe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/kvm-migration/cpuflags/internal/atomicfile"
	"github.com/kvm-migration/cpuflags/internal/novaconf"
	"github.com/kvm-migration/cpuflags/internal/novaservice"
)

// File names next to nova.conf. None ends in ".conf", so a --config-dir never reads them.
const (
	journalSuffix   = ".cpuflags-probe.json"
	recoveredSuffix = ".cpuflags-probe.recovered.json"
)

// JournalPath returns the journal file of a probe of confPath.
func JournalPath(confPath string) string { return confPath + journalSuffix }

// Journal is written before the first edit of nova.conf and removed when
// the probe has left nova-compute on the original or an accepted
// configuration. Its presence after the probe's process died means: restore.
type Journal struct {
	// NovaConf is the edited file.
	NovaConf string `json:"nova_conf"`
	// Backup holds the original content (with its mode and owner).
	Backup string `json:"backup"`
	// OriginalSHA256 is the hash of the original content.
	OriginalSHA256 string `json:"original_sha256"`
	// PID is the probing process.
	PID int `json:"pid"`
	// Started is when the journal was written.
	Started time.Time `json:"started"`
	// Service says how to restart nova-compute.
	Service novaservice.Spec `json:"service"`
	// TimeoutSeconds bounds the recovery restart.
	TimeoutSeconds int `json:"timeout_s"`
	// Format 2 journals list in WrittenSHA256 every content the probe was
	// about to write to nova.conf (noted before each write). A journal
	// without it (format 0, older modules) restores whatever it finds.
	Format int `json:"format,omitempty"`
	// WrittenSHA256 are the hashes of the contents the probe wrote.
	WrittenSHA256 []string `json:"written_sha256,omitempty"`
}

// journalFormat is the format Arm writes.
const journalFormat = 2

// wrote reports whether the probe of j may have written content with hash h.
// Format 0 journals do not say: every content counts as the probe's.
func (j *Journal) wrote(h string) bool {
	return j.Format < journalFormat || slices.Contains(j.WrittenSHA256, h)
}

// Recovery reports the restoration of an interrupted probe.
type Recovery struct {
	// By is "watchdog" or "module" (a stale journal found at start).
	By string `json:"by"`
	// PID is the process of the interrupted probe.
	PID int `json:"pid"`
	// Restored is true when nova.conf differed from the original and was restored.
	Restored bool `json:"restored"`
	// Accepted is nova-compute's verdict after the recovery restart.
	Accepted bool `json:"accepted"`
	// Reason is that verdict's reason, or the error.
	Reason string `json:"reason"`
	// Foreign is true when nova.conf held neither the original nor a file the
	// probe wrote: something else changed it after the probe died, so it was
	// left as it is (and the backup kept).
	Foreign bool `json:"foreign,omitempty"`
	// At is when the recovery finished.
	At time.Time `json:"at"`
}

// Guard holds the probe lock of one nova.conf.
type Guard struct {
	conf  string
	lock  *os.File
	armed *Journal
}

// lockDir opens the directory whose flock(2) guards probes of confPath.
// Locking the directory (not a lock file) leaves nothing behind in /etc/nova;
// the kernel releases the lock when the holder exits, however it exits.
func lockDir(confPath string) (*os.File, error) {
	return os.Open(filepath.Dir(confPath))
}

// Lock takes the exclusive lock of confPath's probe, waiting up to wait
// (another probe, or a watchdog recovering, holds it meanwhile).
func Lock(ctx context.Context, confPath string, wait time.Duration) (*Guard, error) {
	f, err := lockDir(confPath)
	if err != nil {
		return nil, fmt.Errorf("open probe lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &Guard{conf: confPath, lock: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: another probe of %s (or its watchdog restoring it) still runs after %s; wait for it (look for processes named nova_cpu_flag_probe or AnsiballZ_nova_cpu_flag_probe)", f.Name(), confPath, wait)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Unlock releases the lock.
func (g *Guard) Unlock() {
	if g.lock != nil {
		g.lock.Close()
		g.lock = nil
	}
}

// Armed reports whether a journal is written.
func (g *Guard) Armed() bool { return g.armed != nil }

// Journal returns the armed journal (nil when not armed).
func (g *Guard) Journal() *Journal { return g.armed }

// Arm writes a backup of the current nova.conf and the journal.
func (g *Guard) Arm(original []byte, svc novaservice.Spec, timeout time.Duration) error {
	backup, err := writeBackup(g.conf)
	if err != nil {
		return err
	}
	svc.Runner = nil
	j := Journal{
		NovaConf: g.conf, Backup: backup, OriginalSHA256: sha(original), PID: os.Getpid(),
		Started: time.Now().UTC(), Service: svc, TimeoutSeconds: int(timeout.Seconds()),
		Format: journalFormat,
	}
	if err := writeJournal(g.conf, &j); err != nil {
		os.Remove(backup)
		return err
	}
	g.armed = &j
	return nil
}

// NoteWrite records in the journal that the probe is about to write content
// to nova.conf; call it before each write once armed (a no-op otherwise, and
// for content already noted). A recovery then restores only a nova.conf that
// holds the original or one of these contents.
func (g *Guard) NoteWrite(content []byte) error {
	if g.armed == nil {
		return nil
	}
	h := sha(content)
	if h == g.armed.OriginalSHA256 || slices.Contains(g.armed.WrittenSHA256, h) {
		return nil
	}
	next := *g.armed
	next.WrittenSHA256 = append(slices.Clone(g.armed.WrittenSHA256), h)
	if err := writeJournal(g.conf, &next); err != nil {
		return err
	}
	g.armed = &next
	return nil
}

func writeJournal(conf string, j *Journal) error {
	data, _ := json.MarshalIndent(j, "", "  ") // plain struct: cannot fail
	if _, err := atomicfile.Write(JournalPath(conf), data, atomicfile.NewMeta(0o600)); err != nil {
		return fmt.Errorf("write probe journal: %w", err)
	}
	return nil
}

// Disarm removes the journal: nova.conf and nova-compute are in a final state.
func (g *Guard) Disarm() error {
	if g.armed == nil {
		return nil
	}
	if err := os.Remove(JournalPath(g.conf)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove probe journal: %w", err)
	}
	_ = atomicfile.SyncDir(filepath.Dir(g.conf))
	g.armed = nil
	return nil
}

// ReadJournal reads a journal; (nil, nil) when there is none.
func ReadJournal(path string) (*Journal, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read probe journal: %w", err)
	}
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("probe journal %s is damaged (%v); restore nova.conf from the newest *%s beside it by hand and delete the journal", path, err, novaconf.BackupSuffix)
	}
	return &j, nil
}

// Recover restores the journal's backup (when nova.conf differs from it),
// restarts nova-compute and waits for its verdict, then removes the journal.
// ctl may be nil: it is built from the journal's service spec.
func Recover(ctx context.Context, j *Journal, ctl novaservice.Controller, wait novaservice.WaitOptions) (Recovery, error) {
	r := Recovery{PID: j.PID}
	cur, err := os.ReadFile(j.NovaConf)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return r, fmt.Errorf("recover %s: %w", j.NovaConf, err)
	}
	foreign := err == nil && sha(cur) != j.OriginalSHA256 && !j.wrote(sha(cur))
	if !foreign && (err != nil || sha(cur) != j.OriginalSHA256) {
		if err := novaconf.Restore(j.NovaConf, j.Backup); err != nil {
			return r, fmt.Errorf("recover: %w", err)
		}
		r.Restored = true
	}
	if ctl == nil {
		if ctl, err = novaservice.New(j.Service); err != nil {
			return r, fmt.Errorf("recover: %w", err)
		}
	}
	if foreign {
		return recoverForeign(ctx, j, ctl, wait, r)
	}
	v, err := restartOnRecovery(ctx, j, ctl, wait)
	r.At = time.Now().UTC()
	if err != nil {
		r.Reason = err.Error()
	} else {
		r.Accepted, r.Reason = v.Accepted, v.Reason
	}
	if rmErr := removeJournal(j); rmErr != nil {
		return r, rmErr
	}
	if r.Accepted {
		os.Remove(j.Backup) // nova.conf holds the same content again
	}
	return r, err
}

// recoverForeign handles a journal whose nova.conf was changed by something
// else after its probe died (an operator, configuration management, a
// rebuilt host): that change wins. nova.conf is left as it is, the backup is
// kept for whoever wants it, and nova-compute is started only if it is not
// running (never left stopped); the journal goes.
func recoverForeign(ctx context.Context, j *Journal, ctl novaservice.Controller, wait novaservice.WaitOptions, r Recovery) (Recovery, error) {
	r.Foreign = true
	running, err := ctl.Running(ctx)
	if err != nil {
		return r, fmt.Errorf("recover: %w", err)
	}
	r.Reason = fmt.Sprintf("%s was changed by something else after the probe died (it holds neither the original nor a file the probe wrote): left as it is; the probe's backup of the original is kept at %s", j.NovaConf, j.Backup)
	if running {
		r.Accepted = true
		r.Reason += "; nova-compute is running and was not restarted"
	} else {
		v, err := restartOnRecovery(ctx, j, ctl, wait)
		if err != nil {
			r.Reason += "; starting the stopped nova-compute failed: " + err.Error()
		} else {
			r.Accepted = v.Accepted
			r.Reason += "; nova-compute was stopped and was started: " + v.Reason
		}
	}
	r.At = time.Now().UTC()
	return r, removeJournal(j)
}

// restartOnRecovery restarts nova-compute for a recovery and waits for its
// verdict, bounded by the journal's timeout (180 s when it names none).
func restartOnRecovery(ctx context.Context, j *Journal, ctl novaservice.Controller, wait novaservice.WaitOptions) (novaservice.Verdict, error) {
	timeout := time.Duration(j.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = 180 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return novaservice.RestartAndWait(wctx, ctl, j.Service.LogPath, wait)
}

// removeJournal deletes a recovered journal (already gone is fine).
func removeJournal(j *Journal) error {
	if err := os.Remove(JournalPath(j.NovaConf)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("recover: remove journal: %w", err)
	}
	return nil
}

// RecoverStale recovers a journal left by a dead probe. It returns nil when
// there was none. The caller holds the lock, so the journal's process is gone.
func (g *Guard) RecoverStale(ctx context.Context, ctl novaservice.Controller, wait novaservice.WaitOptions) (*Recovery, error) {
	j, err := ReadJournal(JournalPath(g.conf))
	if err != nil || j == nil {
		return nil, err
	}
	r, err := Recover(ctx, j, ctl, wait)
	r.By = "module"
	return &r, err
}

// TakeRecovered returns (and deletes) the report a watchdog left.
func TakeRecovered(confPath string) *Recovery {
	data, err := os.ReadFile(confPath + recoveredSuffix)
	if err != nil {
		return nil
	}
	os.Remove(confPath + recoveredSuffix)
	var r Recovery
	if json.Unmarshal(data, &r) != nil {
		return &Recovery{By: "watchdog", Reason: "unreadable watchdog report"}
	}
	return &r
}

// WatchdogArg is the hidden first argument that makes the module binary a watchdog.
const WatchdogArg = "--cpuflags-watchdog"

// RunWatchdog is the detached watchdog of probe process pid: it blocks on
// the probe lock, which the kernel releases when that process exits however
// it exits; then, if the journal is still there and names pid, it recovers
// and leaves a report for the next run. It returns the exit code.
func RunWatchdog(journalPath string, pid int) int {
	conf := journalPath[:len(journalPath)-len(journalSuffix)]
	f, err := lockDir(conf)
	if err != nil {
		return 2
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return 2
	}
	j, err := ReadJournal(journalPath)
	if err != nil || j == nil || j.PID != pid {
		return 0
	}
	r, err := Recover(context.Background(), j, nil, novaservice.WaitOptions{})
	r.By = "watchdog"
	if err != nil && r.Reason == "" {
		r.Reason = err.Error()
	}
	data, _ := json.Marshal(r)
	_, _ = atomicfile.Write(conf+recoveredSuffix, data, atomicfile.NewMeta(0o600))
	if err != nil || !r.Accepted {
		return 1
	}
	return 0
}

// SpawnWatchdog starts the running executable as a detached watchdog (own
// session, no inherited stdio, cwd /) for this process. argv0 names it for
// multi-call binaries (testscript).
func SpawnWatchdog(argv0, journalPath string) error {
	attr := &os.ProcAttr{
		Dir:   "/",
		Files: []*os.File{nil, nil, nil},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	p, err := os.StartProcess("/proc/self/exe", []string{argv0, WatchdogArg, journalPath, strconv.Itoa(os.Getpid())}, attr)
	if err != nil {
		return fmt.Errorf("start watchdog: %w", err)
	}
	return p.Release()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeBackup copies conf beside itself with its owner and mode, fsynced
// (novaconf.Backup), before the journal and the first edit.
func writeBackup(conf string) (string, error) {
	name, _, err := novaconf.Backup(conf)
	return name, err
}
