package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/kvm-migration/cpuflags/internal/proberwire"
	"github.com/kvm-migration/cpuflags/sdk/prober"
)

// ExecProber reaches an external prober through the plugin host program
// (cmd/cpuflags-prober-host), one JSON line per request and answer, so that
// the module itself never links go-plugin and gRPC.
type ExecProber struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	codec  *proberwire.Codec
	stderr *limitedWriter
	mu     sync.Mutex
}

// StartExecProber starts hostPath --plugin-dir dir --plugin name and asks the
// prober for its Info.
func StartExecProber(ctx context.Context, hostPath, dir, name string) (*ExecProber, error) {
	if _, err := os.Stat(hostPath); err != nil {
		return nil, fmt.Errorf("plugin host %s: %w; copy cpuflags-prober-host_linux_amd64 there (the role does it when a plugin is configured) or set plugin_host", hostPath, err)
	}
	cmd := exec.Command(hostPath, "--plugin-dir", dir, "--plugin", name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("plugin host: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("plugin host: %w", err)
	}
	stderr := &limitedWriter{max: 8 << 10}
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start plugin host %s: %w", hostPath, err)
	}
	p := &ExecProber{cmd: cmd, stdin: stdin, codec: proberwire.NewCodec(stdout, stdin), stderr: stderr, name: name}
	resp, err := p.call(ctx, proberwire.Request{Op: proberwire.OpInfo})
	if err != nil {
		p.Close()
		return nil, err
	}
	if resp.Info == nil {
		p.Close()
		return nil, fmt.Errorf("plugin %s: no info in the host's answer", name)
	}
	p.name = resp.Info.Name
	return p, nil
}

// Name implements Prober.
func (p *ExecProber) Name() string { return "plugin " + p.name }

// Check implements Prober.
func (p *ExecProber) Check(ctx context.Context, t prober.Trial) (prober.Outcome, error) {
	resp, err := p.call(ctx, proberwire.Request{Op: proberwire.OpCheck, Trial: &t})
	if err != nil {
		return prober.Outcome{}, err
	}
	if resp.Outcome == nil {
		return prober.Outcome{}, fmt.Errorf("plugin %s: no outcome in the host's answer", p.name)
	}
	return *resp.Outcome, nil
}

func (p *ExecProber) call(ctx context.Context, req proberwire.Request) (proberwire.Response, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	type res struct {
		r   proberwire.Response
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var r proberwire.Response
		err := p.codec.Write(req)
		if err == nil {
			err = p.codec.Read(&r)
		}
		ch <- res{r, err}
	}()
	select {
	case <-ctx.Done():
		p.kill()
		return proberwire.Response{}, fmt.Errorf("plugin %s: %w", p.name, ctx.Err())
	case x := <-ch:
		if x.err != nil {
			if errors.Is(x.err, io.EOF) {
				x.err = errors.New("the plugin host exited")
			}
			return proberwire.Response{}, fmt.Errorf("plugin %s: %w; host stderr: %s", p.name, x.err, strings.TrimSpace(p.stderr.String()))
		}
		if x.r.Error != "" {
			return proberwire.Response{}, fmt.Errorf("plugin %s: %s", p.name, x.r.Error)
		}
		return x.r, nil
	}
}

func (p *ExecProber) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
}

// Close ends the plugin host (and through it the plugin).
func (p *ExecProber) Close() error {
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		p.kill()
		return <-done
	}
}

// limitedWriter keeps the first max bytes written to it; safe for concurrent use.
type limitedWriter struct {
	mu  sync.Mutex
	b   strings.Builder
	max int
}

func (w *limitedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.b.Len(); room > 0 {
		if len(p) > room {
			w.b.Write(p[:room])
		} else {
			w.b.Write(p)
		}
	}
	return len(p), nil
}
