package migration

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// needQEMU skips the test when qemu-system-x86_64 is missing, unless
// CPUFLAGS_REQUIRE_QEMU=1 makes that a failure.
func needQEMU(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		if os.Getenv("CPUFLAGS_REQUIRE_QEMU") == "1" {
			t.Fatalf("qemu-system-x86_64 not found and CPUFLAGS_REQUIRE_QEMU=1: %v", err)
		}
		t.Skip("qemu-system-x86_64 not installed (set CPUFLAGS_REQUIRE_QEMU=1 to fail instead)")
	}
}

func TestLiveMigrateQEMU(t *testing.T) {
	needQEMU(t)
	tests := []struct {
		name      string
		src, dst  Side
		opts      Options
		migrated  bool
		status    string
		reasonHas string
		lacks     []string
		reason    string
	}{
		{"same-definition", Side{CPU: "Westmere,+aes"}, Side{CPU: "Westmere,+aes"}, Options{}, true, StatusCompleted, "", nil,
			"the same definition under TCG migrates and the target runs"},
		{"target-cannot-give-pcid", Side{CPU: "Westmere,+aes"}, Side{CPU: "Westmere,+aes,+pcid"}, Options{}, false, StatusTargetRefused,
			"TCG doesn't support requested feature: CPUID.01H:ECX.pcid [bit 17]", nil,
			"enforce: the target's accelerator cannot give pcid, QEMU refuses to start"},
		{"source-cannot-give-x2apic", Side{CPU: "Westmere,+x2apic"}, Side{CPU: "Westmere"}, Options{}, false, StatusSourceRefused,
			"x2apic", nil, "the refusing side is named"},
		{"target-lacks-aes", Side{CPU: "Westmere,+aes"}, Side{CPU: "Westmere,-aes"}, Options{}, false, StatusTargetLacks,
			"aes", []string{"aes"}, "both start; the pre-flight names the flag the target lacks"},
		{"qemu-does-not-check", Side{CPU: "Westmere,+aes"}, Side{CPU: "Westmere,-aes"}, Options{SkipPreflight: true}, true, StatusCompleted,
			"", []string{"aes"}, "measured: QEMU's migration stream carries no CPUID, so QEMU alone migrates a mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.WorkDir = shortTempDir(t)
			tt.opts.Timeout = 30 * time.Second
			res, err := LiveMigrate(context.Background(), tt.src, tt.dst, tt.opts)
			if err != nil {
				t.Fatalf("LiveMigrate: %v (%s)", err, tt.reason)
			}
			t.Logf("%+v", res)
			if res.Migrated != tt.migrated || res.Status != tt.status {
				t.Errorf("migrated=%v status=%q reason=%q; want %v %q (%s)", res.Migrated, res.Status, res.Reason, tt.migrated, tt.status, tt.reason)
			}
			if !strings.Contains(res.Reason, tt.reasonHas) {
				t.Errorf("reason %q lacks %q (%s)", res.Reason, tt.reasonHas, tt.reason)
			}
			if !slices.Equal(res.TargetLacks, tt.lacks) {
				t.Errorf("target lacks %v, want %v (%s)", res.TargetLacks, tt.lacks, tt.reason)
			}
			if tt.migrated && (res.Seconds <= 0 || res.TotalMS < 0) {
				t.Errorf("seconds=%v total=%dms; want a measured time", res.Seconds, res.TotalMS)
			}
			if !strings.HasSuffix(res.SourceCPU, ",enforce") || !strings.HasSuffix(res.TargetCPU, ",enforce") {
				t.Errorf("cpus %q %q; want enforce on both", res.SourceCPU, res.TargetCPU)
			}
			entries, _ := os.ReadDir(tt.opts.WorkDir)
			if len(entries) != 0 {
				t.Errorf("work dir keeps %d entries; sockets must be removed", len(entries))
			}
		})
	}
}

func TestLiveMigrateCouldNotTry(t *testing.T) {
	tests := []struct {
		name    string
		src     Side
		opts    Options
		wantErr string
		reason  string
	}{
		{"no-qemu", Side{CPU: "Westmere"}, Options{QEMU: "/nonexistent/qemu-system-x86_64"}, "find QEMU", "a missing binary is an error, not a refusal"},
		{"bad-accel", Side{CPU: "Westmere", Accel: "hvf"}, Options{}, "use tcg or kvm", "only tcg and kvm"},
		{"bad-machine", Side{CPU: "Westmere", Machine: "pc,accel=kvm"}, Options{}, "machine type", "no option injection through the machine"},
		{"bad-cpu", Side{CPU: "+aes"}, Options{}, "CPU model name", "a definition starts with a model"},
		{"bad-port", Side{CPU: "Westmere"}, Options{Port: 70000}, "port", "ports are 0-65535"},
	}
	for _, tt := range tests {
		_, err := LiveMigrate(context.Background(), tt.src, tt.src, tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want %q (%s)", tt.name, err, tt.wantErr, tt.reason)
		}
	}
}

func TestLiveMigratePortInUse(t *testing.T) {
	needQEMU(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = LiveMigrate(context.Background(), Side{CPU: "Westmere"}, Side{CPU: "Westmere"},
		Options{Port: l.Addr().(*net.TCPAddr).Port, WorkDir: shortTempDir(t), Timeout: 20 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("err = %v; want the target's bind failure as an error", err)
	}
}

func TestLiveMigrateCancelled(t *testing.T) {
	needQEMU(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := shortTempDir(t)
	_, err := LiveMigrate(ctx, Side{CPU: "Westmere"}, Side{CPU: "Westmere"}, Options{WorkDir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("work dir keeps %d entries after cancel", len(entries))
	}
}

func BenchmarkLiveMigrate(b *testing.B) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		b.Skip("qemu-system-x86_64 not installed")
	}
	for b.Loop() {
		res, err := LiveMigrate(context.Background(), Side{CPU: "Westmere,+aes"}, Side{CPU: "Westmere,+aes"}, Options{})
		if err != nil || !res.Migrated {
			b.Fatalf("%+v %v", res, err)
		}
		b.ReportMetric(res.Seconds*1000, "migrate-ms")
	}
}
