package migration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Side is one QEMU process of a migration.
type Side struct {
	// CPU is the QEMU -cpu value, e.g. "Westmere,+aes"; ",enforce" is added.
	CPU string
	// Accel is "tcg" (the default) or "kvm".
	Accel string
	// Machine is the machine type; "pc" by default.
	Machine string
}

// Options bound and place a migration run.
type Options struct {
	// QEMU is the qemu-system-x86_64 binary; found in PATH when empty.
	QEMU string
	// WorkDir holds the QMP sockets (in a fresh subdirectory removed
	// afterwards); os.TempDir() when empty.
	WorkDir string
	// Port is the destination's loopback port; 0 picks a free one.
	Port int
	// MemoryMB is the guest RAM; 64 when 0.
	MemoryMB int
	// Timeout bounds the whole run; 60s when 0.
	Timeout time.Duration
	// SkipPreflight migrates even when the target lacks flags the source
	// has (TargetLacks is still filled in): QEMU itself does not refuse.
	SkipPreflight bool
}

// Status values of a Result.
const (
	StatusCompleted     = "completed"
	StatusFailed        = "failed"
	StatusTargetRefused = "target-refused"
	StatusSourceRefused = "source-refused"
	StatusTargetLacks   = "target-lacks-flags"
)

// Result is the outcome of one live migration attempt.
type Result struct {
	// Migrated is true when QEMU reported "completed" and the destination
	// is running.
	Migrated bool `json:"migrated"`
	// Status is completed, failed, target-refused, source-refused or
	// target-lacks-flags.
	Status string `json:"status"`
	// Reason is QEMU's own words when a side refused or the migration
	// failed, or the pre-flight's list of lacking flags.
	Reason string `json:"reason"`
	// Seconds is the wall time from the migrate command to "completed".
	Seconds float64 `json:"seconds"`
	// TotalMS and DowntimeMS are QEMU's own figures from query-migrate.
	TotalMS    int64 `json:"qemu_total_ms,omitempty"`
	DowntimeMS int64 `json:"qemu_downtime_ms,omitempty"`
	// TargetLacks names the flags the source's vCPU has and the
	// destination's lacks (pre-flight), empty when the target has them all.
	TargetLacks []string `json:"target_lacks,omitempty"`
	// SourceCPU and TargetCPU are the -cpu values used, with enforce.
	SourceCPU string `json:"source_cpu"`
	TargetCPU string `json:"target_cpu"`
	// SourceAccel and TargetAccel are the accelerators used.
	SourceAccel string `json:"source_accel"`
	TargetAccel string `json:"target_accel"`
}

var machineRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

func (s Side) normalize(role string) (Side, cpuDef, error) {
	if s.Accel == "" {
		s.Accel = "tcg"
	}
	if s.Accel != "tcg" && s.Accel != "kvm" {
		return s, cpuDef{}, fmt.Errorf("%s accelerator %q: use tcg or kvm", role, s.Accel)
	}
	if s.Machine == "" {
		s.Machine = "pc"
	}
	if !machineRe.MatchString(s.Machine) {
		return s, cpuDef{}, fmt.Errorf("%s machine %q: give a machine type name such as pc or q35", role, s.Machine)
	}
	def, err := parseCPUDef(strings.TrimSpace(s.CPU))
	if err != nil {
		return s, cpuDef{}, fmt.Errorf("%s: %w", role, err)
	}
	s.CPU = strings.TrimSpace(s.CPU)
	if !strings.HasSuffix(s.CPU, ",enforce") && !strings.Contains(s.CPU, ",enforce,") {
		s.CPU += ",enforce"
	}
	return s, def, nil
}

// LiveMigrate starts a destination QEMU waiting on a loopback port with the
// dst definition, then a source QEMU with the src definition, compares what
// their vCPUs have (pre-flight), migrates the running source over loopback
// and checks that the destination runs. A side that refuses to start (its
// accelerator cannot give a requested feature) gives a Result with status
// target-refused or source-refused and QEMU's words; the error is only for
// runs that could not be tried or finished (no QEMU, port in use, timeout,
// ctx cancelled). Both processes are always killed.
func LiveMigrate(ctx context.Context, src, dst Side, opts Options) (Result, error) {
	src, srcDef, err := src.normalize("source")
	if err != nil {
		return Result{}, err
	}
	dst, dstDef, err := dst.normalize("target")
	if err != nil {
		return Result{}, err
	}
	res := Result{SourceCPU: src.CPU, TargetCPU: dst.CPU, SourceAccel: src.Accel, TargetAccel: dst.Accel}
	if opts.QEMU == "" {
		opts.QEMU = "qemu-system-x86_64"
	}
	bin, err := exec.LookPath(opts.QEMU)
	if err != nil {
		return res, fmt.Errorf("find QEMU %q: %w (install qemu-system-x86 or pass its path)", opts.QEMU, err)
	}
	if opts.MemoryMB <= 0 {
		opts.MemoryMB = 64
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return res, fmt.Errorf("port %d: give 0 (pick a free one) or 1-65535", opts.Port)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	dir, err := os.MkdirTemp(opts.WorkDir, "cpuflags-mig-")
	if err != nil {
		return res, fmt.Errorf("create work directory in %q: %w", opts.WorkDir, err)
	}
	defer os.RemoveAll(dir)
	if l := len(filepath.Join(dir, "src.qmp")); l > 100 {
		return res, fmt.Errorf("work directory %s: socket path of %d bytes is too long for a unix socket; use a shorter --workdir", dir, l)
	}

	// Destination first; an auto-picked port taken meanwhile is retried.
	var dstQ *qemuProc
	var port int
	for attempt := 0; ; attempt++ {
		port = opts.Port
		if port == 0 {
			if port, err = freeLoopbackPort(); err != nil {
				return res, err
			}
		}
		dstQ, err = startQEMU(ctx, bin, dst, filepath.Join(dir, "dst.qmp"), opts.MemoryMB,
			"tcp:127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return res, fmt.Errorf("start target QEMU: %w", err)
		}
		if !dstQ.refused || !bindFailed(dstQ.reason) {
			break
		}
		if opts.Port != 0 || attempt >= 3 {
			return res, fmt.Errorf("target QEMU cannot listen on 127.0.0.1:%d: %s", port, dstQ.reason)
		}
	}
	defer dstQ.kill()
	if ctx.Err() != nil {
		return res, fmt.Errorf("start target QEMU: %w", ctx.Err())
	}
	if dstQ.refused {
		res.Status, res.Reason = StatusTargetRefused, dstQ.reason
		return res, nil
	}
	srcQ, err := startQEMU(ctx, bin, src, filepath.Join(dir, "src.qmp"), opts.MemoryMB, "")
	if err != nil {
		return res, fmt.Errorf("start source QEMU: %w", err)
	}
	defer srcQ.kill()
	if ctx.Err() != nil {
		return res, fmt.Errorf("start source QEMU: %w", ctx.Err())
	}
	if srcQ.refused {
		res.Status, res.Reason = StatusSourceRefused, srcQ.reason
		return res, nil
	}

	lacks, err := preflight(ctx, srcQ, dstQ, srcDef, dstDef)
	if err != nil {
		return res, err
	}
	res.TargetLacks = lacks
	if len(lacks) > 0 && !opts.SkipPreflight {
		res.Status = StatusTargetLacks
		res.Reason = "the target's vCPU lacks what the source's has: " + strings.Join(lacks, ", ") +
			" (QEMU itself would migrate; a guest using them would fault on the target)"
		return res, nil
	}

	start := time.Now()
	if err := srcQ.qmp.execute(ctx, "migrate", map[string]any{"uri": "tcp:127.0.0.1:" + strconv.Itoa(port)}, nil); err != nil {
		if isQMPError(err) {
			res.Status, res.Reason = StatusFailed, err.Error()
			return res, nil
		}
		return res, err
	}
	var mi migrateInfo
	for {
		mi = migrateInfo{}
		if err := srcQ.qmp.execute(ctx, "query-migrate", nil, &mi); err != nil {
			return res, fmt.Errorf("source: %w", err)
		}
		if mi.Status == "completed" || mi.Status == "failed" || mi.Status == "cancelled" {
			break
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return res, fmt.Errorf("wait for migration (status %q): %w", mi.Status, err)
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.TotalMS, res.DowntimeMS = mi.TotalTime, mi.Downtime
	if mi.Status != "completed" {
		res.Status = StatusFailed
		res.Reason = "source: migration " + mi.Status
		if mi.ErrorDesc != "" {
			res.Reason += ": " + mi.ErrorDesc
		}
		if r := dstQ.waitExit(time.Second); r != "" {
			res.Reason += "; target: " + r
		}
		return res, nil
	}
	// The destination resumes right after the last section arrives.
	for {
		var st struct {
			Status string `json:"status"`
		}
		if err := dstQ.qmp.execute(ctx, "query-status", nil, &st); err != nil {
			if r := dstQ.waitExit(time.Second); r != "" {
				res.Status, res.Reason = StatusFailed, "target exited after the migration: "+r
				return res, nil
			}
			return res, fmt.Errorf("target: %w", err)
		}
		if st.Status == "running" {
			break
		}
		if st.Status != "inmigrate" && st.Status != "paused" && st.Status != "prelaunch" {
			res.Status, res.Reason = StatusFailed, "target status after the migration: "+st.Status
			return res, nil
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return res, fmt.Errorf("wait for the target to run (status %q): %w", st.Status, err)
		}
	}
	res.Migrated, res.Status = true, StatusCompleted
	return res, nil
}

// migrateInfo is the part of query-migrate's reply used here.
type migrateInfo struct {
	Status    string `json:"status"`
	ErrorDesc string `json:"error-desc"`
	TotalTime int64  `json:"total-time"`
	Downtime  int64  `json:"downtime"`
}
