package migration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// qemuProc is one running (or refused) QEMU.
type qemuProc struct {
	cmd     *exec.Cmd
	stderr  *syncBuffer
	exited  chan struct{}
	qmp     *qmpClient
	refused bool
	reason  string
}

// startQEMU starts QEMU and connects to its QMP socket. When QEMU exits
// before QMP answers, the process is marked refused with its stderr as the
// reason; the error is for QEMU not starting at all.
func startQEMU(ctx context.Context, bin string, s Side, sock string, memMB int, incoming string) (*qemuProc, error) {
	args := []string{
		"-machine", s.Machine + ",accel=" + s.Accel,
		"-cpu", s.CPU,
		"-m", strconv.Itoa(memMB),
		"-display", "none", "-nodefaults", "-no-user-config", "-serial", "none",
		"-qmp", "unix:" + sock + ",server=on,wait=off",
	}
	if incoming != "" {
		args = append(args, "-incoming", incoming)
	}
	p := &qemuProc{stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()

	// Wait for the socket, then for the greeting (sent once the machine,
	// vCPUs included, is initialized), or for the process to exit.
	for {
		select {
		case <-p.exited:
			p.refused, p.reason = true, qemuWords(p.stderr.String(), bin)
			return p, nil
		case <-ctx.Done():
			p.kill()
			return p, nil
		default:
		}
		if _, err := os.Stat(sock); err == nil {
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			c, err := dialQMP(dctx, sock)
			cancel()
			if err == nil {
				p.qmp = c
				return p, nil
			}
			// QEMU creates the socket file before it listens on it: a
			// refused connection on a loaded machine means "not yet".
			if errors.Is(err, syscall.ECONNREFUSED) && p.running() && ctx.Err() == nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			if r := p.waitExit(2 * time.Second); r != "" || !p.running() {
				p.refused, p.reason = true, r
				if p.reason == "" {
					p.reason = "QEMU exited without a message"
				}
				return p, nil
			}
			if ctx.Err() == nil {
				p.kill()
				return nil, fmt.Errorf("QEMU runs but its QMP socket does not answer: %w", err)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *qemuProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// waitExit waits up to d for the process to exit and returns QEMU's words
// then, or "" when it still runs.
func (p *qemuProc) waitExit(d time.Duration) string {
	select {
	case <-p.exited:
		return qemuWords(p.stderr.String(), p.cmd.Path)
	case <-time.After(d):
		return ""
	}
}

// kill ends the process and closes the QMP connection; it is idempotent.
func (p *qemuProc) kill() {
	if p == nil {
		return
	}
	if p.qmp != nil {
		p.qmp.Close()
	}
	if p.running() {
		_ = p.cmd.Process.Kill()
	}
	<-p.exited
}

// qemuWords turns QEMU's stderr into one line: its messages without the
// "qemu-system-x86_64: " and "warning: " prefixes, joined by "; ".
func qemuWords(stderr, bin string) string {
	prefix := filepath.Base(bin) + ": "
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimPrefix(line, prefix)
		line = strings.TrimPrefix(line, "warning: ")
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		out = append(out, line)
	}
	return strings.Join(out, "; ")
}

func bindFailed(reason string) bool {
	return strings.Contains(reason, "Address already in use") || strings.Contains(reason, "Failed to bind")
}

// freeLoopbackPort asks the kernel for a free port on 127.0.0.1.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec and
// readers here.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 64<<10 {
		return len(p), nil // keep the first 64 KB
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
